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
	v.Check(true, "a", "fine")
	v.Check(false, "b", "bad")
	v.Add("c", "worse")
	e, ok := As(v.Err())
	if !ok || e.Code != "invalid_request" || len(e.Errs) != 2 || e.Errs[0].Field != "b" {
		t.Fatalf("%+v", e)
	}
}
