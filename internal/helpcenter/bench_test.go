package helpcenter

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// benchQueries are typical searches: Chinese, English, typos, partial words, several words.
var benchQueries = []struct{ q, locale string }{
	{"锁定", LocaleZH}, {"账户被锁定怎么办", LocaleZH}, {"付款失败 余额不足", LocaleZH}, {"退款", LocaleZH},
	{"手续费", LocaleZH}, {"提现多久到账", LocaleZH}, {"locked", LocaleEN}, {"pasword", LocaleEN},
	{"refnd", LocaleEN}, {"withdr", LocaleEN}, {"payment failed insufficient balance", LocaleEN},
	{"how do I change my pin", LocaleEN}, {"fees for sending money abroad", LocaleEN}, {"card declined", LocaleEN},
}

// syntheticSnapshot is n articles: the shipped ones repeated with changed titles, each with
// extra words from a large made-up vocabulary (about 60,000 English-like words and 3,000
// Chinese characters), so that the index has a realistic number of terms and postings.
func syntheticSnapshot(b testing.TB, n int) *snapshot {
	shipped, err := Shipped()
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	letters := "abcdefghijklmnopqrstuvwxyz"
	words := make([]string, 60000)
	for i := range words {
		var w strings.Builder
		for range 4 + r.IntN(7) {
			w.WriteByte(letters[r.IntN(len(letters))])
		}
		words[i] = w.String()
	}
	han := make([]rune, 3000)
	for i := range han {
		han[i] = rune(0x4E00 + r.IntN(0x9FA5-0x4E00))
	}
	list := make([]*Article, 0, n)
	for i := range n {
		a := shipped[i%len(shipped)]
		var extra strings.Builder
		for range 60 {
			if a.Locale == LocaleZH {
				for range 2 + r.IntN(3) {
					extra.WriteRune(han[r.IntN(len(han))])
				}
				extra.WriteString("，")
			} else {
				extra.WriteString(words[r.IntN(len(words))] + " ")
			}
		}
		list = append(list, &Article{Slug: fmt.Sprintf("%s-%d", a.Slug, i), Locale: a.Locale, Category: a.Category,
			Title: fmt.Sprintf("%s (%d)", a.Title, i), Tags: a.Tags, Body: a.Body + "\n\n" + extra.String()})
	}
	return newSnapshot(list, "bench")
}

// BenchmarkSearch10k searches 10,000 articles and reports the p50 and p99 of one search
// (snippets included) besides the mean: wall-clock, and the CPU time of the searching thread
// (which a loaded machine does not inflate with waits for a core).
//
//	go test -run '^$' -bench Search10k -benchtime 3000x ./internal/helpcenter/
func BenchmarkSearch10k(b *testing.B) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	sn := syntheticSnapshot(b, 10000)
	build := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	durs := make([]time.Duration, 0, b.N)
	cpus := make([]time.Duration, 0, b.N)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	runtime.GC() // the build's garbage is not the searches'
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		q := benchQueries[i%len(benchQueries)]
		t, c := time.Now(), threadCPU()
		res := sn.search(Query{Q: q.q, Locale: q.locale})
		cpus = append(cpus, threadCPU()-c)
		durs = append(durs, time.Since(t))
		if len(res) == 0 {
			b.Fatalf("%q found nothing", q.q)
		}
	}
	b.StopTimer()
	// Reported after the loop: ResetTimer clears what was reported before it.
	b.ReportMetric(float64(build.Milliseconds()), "build-ms")
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heap-MB")
	b.ReportMetric(float64(len(sn.ix.vocab)), "terms")
	slices.Sort(durs)
	b.ReportMetric(float64(durs[len(durs)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(durs[len(durs)*99/100].Microseconds()), "p99-µs")
	slices.Sort(cpus)
	b.ReportMetric(float64(cpus[len(cpus)/2].Microseconds()), "p50-cpu-µs")
	b.ReportMetric(float64(cpus[len(cpus)*99/100].Microseconds()), "p99-cpu-µs")
}
