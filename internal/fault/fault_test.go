package fault

import (
	"errors"
	"fmt"
	"testing"
)

func TestWithKeepsIdentityAndCopies(t *testing.T) {
	base := New("limit_exceeded", "over")
	a := base.With("limit", "daily")
	b := a.With("max", 5)
	if !errors.Is(fmt.Errorf("wrapped: %w", b), base) {
		t.Fatal("a decorated failure no longer matches its sentinel")
	}
	if base.Fields != nil || len(a.Fields) != 1 || len(b.Fields) != 2 {
		t.Fatalf("With shares maps: %v %v %v", base.Fields, a.Fields, b.Fields)
	}
	if errors.Is(b, New("other", "")) {
		t.Fatal("matched another code")
	}
	if Code(fmt.Errorf("x: %w", b)) != "limit_exceeded" || Code(errors.New("plain")) != "" {
		t.Fatal("Code")
	}
}

func TestValidation(t *testing.T) {
	var v Validation
	if v.Err() != nil {
		t.Fatal("empty validation failed")
	}
	v.Check(true, "a", MsgRequired)
	v.Check(false, "b", MsgRequiredMax, 100)
	v.Add("c", MsgEmail)
	e, ok := As(v.Err())
	if !ok || e.Code != "invalid_request" || len(e.Errs) != 2 || e.Errs[0].Field != "b" {
		t.Fatalf("%+v", e)
	}
	if e.Errs[0].Message != "is required, at most 100 characters" || e.Msg != "b: is required, at most 100 characters" {
		t.Fatalf("english: %+v", e)
	}
	zh := e.FieldErrors("zh-CN")
	if zh[0].Message != "为必填项，最多 100 个字符" || zh[1].Message != "必须是有效的邮箱地址" || zh[0].Field != "b" {
		t.Fatalf("zh-CN: %+v", zh)
	}
	if e.Errs[0].Message != "is required, at most 100 characters" || e.Errs[0].ID() != "required_max_chars" {
		t.Fatalf("FieldErrors changed the English: %+v", e.Errs)
	}
}
