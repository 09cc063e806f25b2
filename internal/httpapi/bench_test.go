package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/dompet/dompet/internal/db/dbtest"
)

// BenchmarkServeHTTP measures the layers every request crosses (exchange, request id, mux,
// adapter, access-log level check, metrics) around a trivial JSON handler.
func BenchmarkServeHTTP(b *testing.B) {
	h := func(w http.ResponseWriter, r *http.Request) error {
		return writeJSON(w, http.StatusOK, map[string]string{"id": r.PathValue("id")})
	}
	s, err := newServer(Options{DB: dbtest.Open(b)}, []route{testRoute("GET /t/items/{id}", h)})
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/t/items/42", nil)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w := httptest.NewRecorder()
			s.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatal(w.Code)
			}
		}
	})
}
