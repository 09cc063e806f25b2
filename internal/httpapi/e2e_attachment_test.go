package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"

	"github.com/dompet/dompet/internal/wallet"
)

// tinyPDF is a small well-formed PDF (one empty page).
const tinyPDF = "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n" +
	"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n" +
	"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 10 10]>>endobj\n" +
	"trailer<</Root 1 0 R>>\n%%EOF\n"

// uploadAs sends data as multipart field "file" with the part's Content-Type set to ctype
// ("" leaves the header out).
func (e *e2eEnv) uploadAs(t testing.TB, token, filename, ctype string, data io.Reader) reply {
	t.Helper()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", mime.FormatMediaType("form-data", map[string]string{"name": "file", "filename": filename}))
		if ctype != "" {
			h.Set("Content-Type", ctype)
		}
		fw, err := mw.CreatePart(h)
		if err == nil {
			_, err = io.Copy(fw, data)
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequest("POST", e.srv.URL+"/api/v1/attachments", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := e.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return reply{method: "POST", path: "/api/v1/attachments", status: resp.StatusCode, header: resp.Header, body: raw}
}

// download GETs an attachment with token.
func (e *e2eEnv) download(t testing.TB, token, id string) reply {
	t.Helper()
	req, err := http.NewRequest("GET", e.srv.URL+"/api/v1/attachments/"+id, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := e.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return reply{method: "GET", path: "/api/v1/attachments/" + id, status: resp.StatusCode, header: resp.Header, body: raw}
}

// wantDownload checks an attachment's answer: the bytes as uploaded, and never a page.
func wantDownload(t testing.TB, r reply, ctype, filename string, data []byte) {
	t.Helper()
	want(t, r, http.StatusOK)
	if !bytes.Equal(r.body, data) {
		t.Fatalf("%s: %d bytes back, want the %d uploaded", r.path, len(r.body), len(data))
	}
	h := r.header
	if got := h.Get("Content-Type"); got != ctype {
		t.Errorf("Content-Type %q, want %q", got, ctype)
	}
	disp, params, err := mime.ParseMediaType(h.Get("Content-Disposition"))
	if err != nil || disp != "attachment" || params["filename"] != filename {
		t.Errorf("Content-Disposition %q (%v), want attachment with filename %q", h.Get("Content-Disposition"), err, filename)
	}
	if h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("X-Content-Type-Options %q", h.Get("X-Content-Type-Options"))
	}
	csp := h.Get("Content-Security-Policy")
	for _, d := range []string{"default-src 'none'", "sandbox", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, d) {
			t.Errorf("Content-Security-Policy %q lacks %s", csp, d)
		}
	}
	if !strings.Contains(h.Get("Cache-Control"), "no-store") {
		t.Errorf("Cache-Control %q", h.Get("Cache-Control"))
	}
}

func TestE2EAttachmentsRoundTrip(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	u, other := e.newUser(t, userOpts{}), e.newUser(t, userOpts{})
	pngData := tinyPNG(t)

	var att wallet.Attachment
	decodeJSON(t, want(t, e.upload(t, u.Token, "receipt.png", pngData), http.StatusCreated), &att)
	if att.ContentType != "image/png" || att.Size != int64(len(pngData)) {
		t.Fatalf("attachment %+v", att)
	}
	wantDownload(t, e.download(t, u.Token, att.ID), "image/png", "receipt.png", pngData)

	var pdf wallet.Attachment
	decodeJSON(t, want(t, e.uploadAs(t, u.Token, "struk 收据.pdf", "application/pdf", strings.NewReader(tinyPDF)), http.StatusCreated), &pdf)
	wantDownload(t, e.download(t, u.Token, pdf.ID), "application/pdf", "struk 收据.pdf", []byte(tinyPDF))

	// Another user's attachment is as unknown as one that does not exist.
	wantProblem(t, e.download(t, other.Token, att.ID), http.StatusNotFound, "not_found")
	wantProblem(t, e.download(t, u.Token, "att_nope"), http.StatusNotFound, "not_found")
	wantProblem(t, e.download(t, "", att.ID), http.StatusUnauthorized, "unauthenticated")

	// What the store holds is the bytes, not base64 text.
	var data string
	var content []byte
	if err := e.app.DB.QueryRow(context.Background(), "SELECT data, content FROM wallet_attachments WHERE id = ?", att.ID).Scan(&data, &content); err != nil {
		t.Fatal(err)
	}
	if data != "" || !bytes.Equal(content, pngData) {
		t.Fatalf("stored data %q and %d content bytes", data, len(content))
	}
}

func TestE2EAttachmentsRefused(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	u := e.newUser(t, userOpts{})
	html := "<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
	svg := `<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="1" height="1"/></svg>`
	for _, c := range []struct {
		name, filename, ctype, body string
	}{
		{"html named .png", "cat.png", "", html},
		{"html declared as a png", "cat.png", "image/png", html},
		{"svg", "logo.svg", "image/svg+xml", svg},
		{"svg declared as a png", "logo.png", "image/png", svg},
		{"script", "x.js", "", "function f(){ fetch('/api/v1/me') }"},
		{"a pdf declared as a png", "x.png", "image/png", tinyPDF},
		{"a png declared as html", "x.html", "text/html", string(tinyPNG(t))},
		{"empty", "x.png", "", ""},
	} {
		r := e.uploadAs(t, u.Token, c.filename, c.ctype, strings.NewReader(c.body))
		if p := wantProblem(t, r, http.StatusBadRequest, "invalid_request"); p == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}

	// The type is read before the size: 11 MB of HTML is refused for its type, from its first
	// bytes, without the server reading the rest.
	hugeHTML := io.MultiReader(strings.NewReader(html), io.LimitReader(zeros{}, 11<<20))
	wantProblem(t, e.uploadAs(t, u.Token, "big.png", "", hugeHTML), http.StatusBadRequest, "invalid_request")

	// One byte over 10 MB, in a body under the envelope's limit: 413.
	over := io.MultiReader(bytes.NewReader(tinyPNG(t)), io.LimitReader(zeros{}, int64(wallet.MaxAttachment+1-len(tinyPNG(t)))))
	wantProblem(t, e.uploadAs(t, u.Token, "big.png", "image/png", over), http.StatusRequestEntityTooLarge, "too_large")

	var n int
	if err := e.app.DB.QueryRow(context.Background(), "SELECT COUNT(*) FROM wallet_attachments").Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d attachments stored, %v", n, err)
	}
}

// TestE2EAttachmentsStoredAsBase64 reads an attachment stored as base64 text (as before
// migration 00011) byte-exact, before and after ConvertAttachments moves it to the binary column.
func TestE2EAttachmentsStoredAsBase64(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	u := e.newUser(t, userOpts{})
	ctx := context.Background()
	old := []byte(tinyPDF)
	if _, err := e.app.DB.Exec(ctx, `INSERT INTO wallet_attachments (id, owner, filename, content_type, size, data, created_at)
		VALUES ('att_old', ?, 'old.pdf', 'application/pdf', ?, ?, 1)`, "user:"+u.ID, len(old), base64.StdEncoding.EncodeToString(old)); err != nil {
		t.Fatal(err)
	}
	wantDownload(t, e.download(t, u.Token, "att_old"), "application/pdf", "old.pdf", old)
	n, err := e.app.Wallet.ConvertAttachments(ctx)
	if err != nil || n != 1 {
		t.Fatalf("converted %d, %v", n, err)
	}
	if n, err := e.app.Wallet.ConvertAttachments(ctx); err != nil || n != 0 {
		t.Fatalf("a second run converted %d, %v", n, err)
	}
	var data string
	var content []byte
	if err := e.app.DB.QueryRow(ctx, "SELECT data, content FROM wallet_attachments WHERE id = 'att_old'").Scan(&data, &content); err != nil {
		t.Fatal(err)
	}
	if data != "" || !bytes.Equal(content, old) {
		t.Fatalf("after conversion: data %q, %d content bytes", data, len(content))
	}
	wantDownload(t, e.download(t, u.Token, "att_old"), "application/pdf", "old.pdf", old)
}

// zeros reads as endless zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
