package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/dompet/dompet/internal/fault"
)

// strictSeeds are the cases of issue 6 item 7 and their neighbours: the fuzz test starts from
// them, and a plain go test runs them.
var strictSeeds = []string{
	`{"amount":150000,"currency":"IDR","source":{"type":"card","reference":"r1"}}`,
	`{"amount":-5,"currency":"IDR","amount":1}`,
	`{"amount":1,"\u0061mount":2}`,
	`{"AMOUNT":1}`,
	`{"amount":1,"Amount":2}`,
	`{"source":{"type":"card","Type":"x"}}`,
	`{"ſource":{}}`,
	"{\"currency\":\"ID\xffR\"}",
	"{\"source\":{\"re\xc3\x28ference\":\"x\"}}",
	`{"currency":"\ud800"}`,
	`{"currency":"\ud83d\ude00"}`,
	`{"currency":"\u0000"}`,
	`{"meta":{"a":"1","a":"2"}}`,
	`{"items":[{"n":1},{"n":2,"n":3}]}`,
	`{"meta":{"k0":"","k1":"","k2":"","k3":"","k4":"","k5":"","k6":"","k7":"","k8":"","k9":"","k3":""}}`,
	`{"amount":1} {"amount":2}`,
	`{"amount":1`, `{"amount" 1}`, `[`, `"x"`, `nul`, `{"tags":["a",]}`, `{"amount":1e400}`,
	`{"a":` + strings.Repeat("[", 200),
}

// FuzzStrictDecode checks the strict decoder against encoding/json: it never refuses what is
// only malformed to itself, and what it accepts encoding/json decodes the same way, with
// every object's names distinct and declared in their exact case, and every string valid.
func FuzzStrictDecode(f *testing.F) {
	for _, s := range strictSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		s := strictScanner{b: body}
		scanErr := s.run(reflect.TypeFor[*decodeTarget]())
		if json.Valid(body) && errors.Is(scanErr, errMalformed) {
			t.Fatalf("valid JSON %q called malformed", body)
		}

		var strict decodeTarget
		err := unmarshalStrict(body, &strict)
		if err != nil {
			if f, ok := fault.As(err); !ok || f.Code != "invalid_request" || len(f.Errs) != 1 || f.Errs[0].Field == "" {
				t.Fatalf("%q: refused with %#v, want invalid_request naming a field", body, err)
			}
			return
		}
		if !utf8.Valid(body) {
			t.Fatalf("%q: accepted invalid UTF-8", body)
		}
		var loose decodeTarget
		d := json.NewDecoder(bytes.NewReader(body))
		d.DisallowUnknownFields()
		if err := d.Decode(&loose); err != nil {
			t.Fatalf("%q: strict accepted what encoding/json refuses: %v", body, err)
		}
		if !reflect.DeepEqual(strict, loose) {
			t.Fatalf("%q: strict decoded %+v, encoding/json %+v", body, strict, loose)
		}
		checkNames(t, body)
	})
}

// checkNames walks body with encoding/json's tokenizer: no object has a name twice, no
// top-level name differs from decodeTarget's fields but by case, and no string became U+FFFD.
func checkNames(t *testing.T, body []byte) {
	declared := map[string]bool{} // the top level's names
	tt := reflect.TypeFor[decodeTarget]()
	for i := range tt.NumField() {
		name, _, _ := strings.Cut(tt.Field(i).Tag.Get("json"), ",")
		declared[name] = true
	}
	rawFFFD := bytes.Contains(body, []byte("\uFFFD")) || bytes.Contains(bytes.ToLower(body), []byte(`\ufffd`))
	d := json.NewDecoder(bytes.NewReader(body))
	type frame struct {
		object bool
		names  map[string]bool
		key    bool // the next string is a name
	}
	var stack []*frame
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("%q: tokenizer: %v", body, err)
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				if top != nil && top.object {
					top.key = true
				}
				stack = append(stack, &frame{object: v == '{', names: map[string]bool{}, key: v == '{'})
			default:
				stack = stack[:len(stack)-1]
			}
			continue
		case string:
			if strings.ContainsRune(v, utf8.RuneError) && !rawFFFD {
				t.Fatalf("%q: a string decoded to U+FFFD", body)
			}
			if top != nil && top.object && top.key {
				if top.names[v] {
					t.Fatalf("%q: name %q twice", body, v)
				}
				top.names[v] = true
				if len(stack) == 1 && !declared[v] {
					for d := range declared {
						if strings.EqualFold(d, v) {
							t.Fatalf("%q: name %q accepted for %q", body, v, d)
						}
					}
				}
				top.key = false
				continue
			}
		}
		if top != nil && top.object {
			top.key = true
		}
	}
}
