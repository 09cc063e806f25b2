package httpapi

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/identity"
	"github.com/dompet/dompet/internal/wallet"
)

// maxUpload is the largest multipart body taken: a 10 MB file plus its envelope.
const maxUpload = wallet.MaxAttachment + 64<<10

// uploadAttachment streams the multipart part "file" into the wallet: no whole-body buffering
// or temporary files, and a file of the wrong type is refused after its first 512 bytes.
func (s *Server) uploadAttachment(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload)
	mr, err := r.MultipartReader()
	if err != nil {
		return fault.Invalid("file", fault.MsgFileMultipart)
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return fault.Invalid("file", fault.MsgRequired)
		}
		if err != nil {
			return uploadError(err)
		}
		if part.FormName() != "file" {
			part.Close() // drains it
			continue
		}
		p, _ := userOf[identity.Principal](r)
		a, err := s.wallet.StoreAttachment(r.Context(), p.User.ID, part.FileName(), part.Header.Get("Content-Type"), part)
		part.Close()
		if err != nil {
			return uploadError(err)
		}
		return writeJSON(w, http.StatusCreated, a)
	}
}

// uploadError turns a body over the limit into too_large and a broken multipart body into
// invalid_request; domain failures pass as they are.
func uploadError(err error) error {
	if _, ok := fault.As(err); ok {
		return err
	}
	if mb := (*http.MaxBytesError)(nil); errors.As(err, &mb) {
		return wallet.ErrTooLarge
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fault.Invalid("file", fault.MsgFileEndsEarly)
	}
	return err
}

var uploadAttachmentDoc = operation{Summary: "Upload evidence (image or PDF, at most 10 MB) as multipart field \"file\"", Tag: "attachments",
	Description: "The type is read from the bytes: PNG, JPEG, GIF, WebP, HEIC or PDF. A part's `Content-Type`, " +
		"when given (other than `application/octet-stream`), must agree with it; HTML, SVG and scripts are refused.",
	Upload: "file", Status: http.StatusCreated, Response: wallet.Attachment{}, MaxBody: maxUpload}

// attachmentCSP forbids everything to a downloaded file a browser shows anyway: no scripts,
// no subresources, no framing, a sandbox.
const attachmentCSP = "default-src 'none'; sandbox; frame-ancestors 'none'"

// downloadAttachment serves the owner's file as a download, never as a page: its type from
// the allow-list, Content-Disposition attachment, nosniff and a CSP that runs nothing.
func (s *Server) downloadAttachment(w http.ResponseWriter, r *http.Request) error {
	p, _ := userOf[identity.Principal](r)
	a, content, err := s.wallet.AttachmentContent(r.Context(), p.User.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	serveAttachment(w, a, content)
	return nil
}

// serveAttachment writes a stored file as a download, never as a page.
func serveAttachment(w http.ResponseWriter, a wallet.Attachment, content []byte) {
	disposition := mime.FormatMediaType("attachment", map[string]string{"filename": a.Filename})
	if disposition == "" {
		disposition = "attachment"
	}
	h := w.Header()
	h.Set("Content-Type", wallet.AttachmentType(a.ContentType))
	h.Set("Content-Disposition", disposition)
	h.Set("Content-Length", strconv.Itoa(len(content)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", attachmentCSP)
	h.Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(content) // a client gone mid-download is not our failure
}

var downloadAttachmentDoc = operation{Summary: "Download one of the user's attachments", Tag: "attachments",
	Description: "The bytes as uploaded, always as a download (`Content-Disposition: attachment`), with the " +
		"sniffed type (`image/png`, `image/jpeg`, `image/gif`, `image/webp`, `image/heic` or `application/pdf`), " +
		"`X-Content-Type-Options: nosniff` and a `Content-Security-Policy` that allows nothing. " +
		"Another user's attachment answers 404 `not_found`, like one that does not exist.",
	Response: []byte{}, ContentTypes: wallet.AttachmentTypes()}

// agentAttachment serves a file of a conversation's message to staff who may see the
// conversation; the look is audited (support.AgentAttachment).
func (s *Server) agentAttachment(w http.ResponseWriter, r *http.Request) error {
	a, content, err := s.support.AgentAttachment(r.Context(), viewerOf(r), r.PathValue("id"), r.PathValue("attachment_id"))
	if err != nil {
		return err
	}
	serveAttachment(w, a, content)
	return nil
}

var agentAttachmentDoc = operation{Summary: "Download a file of one of a conversation's messages", Tag: "agent",
	Description: "For staff who may see the conversation (agents of its team or its assignee, supervisors, admins); " +
		"each download is written to the audit log (`attachment.viewed`). Served like `GET /api/v1/attachments/{id}`: " +
		"a download with the sniffed type, `nosniff` and a CSP that allows nothing. A file that is not in the " +
		"conversation, or a conversation the caller may not see, answers 404 `not_found`.",
	Response: []byte{}, ContentTypes: wallet.AttachmentTypes(), Errors: []string{"forbidden"}}
