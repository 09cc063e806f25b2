package identity

import (
	"context"
	"testing"
)

// BenchmarkAuthenticate measures the per-call cost of the API's auth check, with the session
// cache (the normal case) and without it (every call reads the store).
func BenchmarkAuthenticate(b *testing.B) {
	for _, c := range []struct {
		name string
		opts Options
	}{{"cached", Options{}}, {"uncached", Options{CacheTTL: -1}}} {
		b.Run(c.name, func(b *testing.B) {
			f := newFixture(b, c.opts)
			ctx := context.Background()
			var tokens []string
			for i := range 8 {
				u := f.register(b, i)
				tokens = append(tokens, f.login(b, u.Phone).Token)
			}
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					if _, err := f.s.Authenticate(ctx, tokens[i%len(tokens)]); err != nil {
						b.Error(err)
						return
					}
					i++
				}
			})
		})
	}
}
