package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/dompet/dompet/internal/fault"
)

// checkStrict refuses what encoding/json would accept silently, before it sees body: a
// member name given twice in one object (json keeps the last, so a gateway or a signing
// proxy that reads the first sees another request than the one executed), a name whose case
// differs from the field's (json matches names case-insensitively), invalid UTF-8 and lone
// surrogate escapes (json stores them as U+FFFD), U+0000 (PostgreSQL can't store it), and
// names t does not declare (as json.Decoder.DisallowUnknownFields would). t is the type
// decoded into; its json tags declare the names.
//
// It is one pass over the bytes that allocates nothing for an acceptable body. Malformed
// JSON is left to encoding/json, which explains it. single is false when a well-formed value
// is followed by more than white space.
//
// encoding/json/v2 refuses duplicates and matches names exactly, but Go 1.26 builds it only
// with GOEXPERIMENT=jsonv2.
func checkStrict(body []byte, t reflect.Type) (single bool, err error) {
	s := strictScanner{b: body}
	err = s.run(t)
	if sf, ok := err.(*strictFailure); ok {
		return true, sf.fault()
	}
	if err != nil {
		return true, nil // malformed: encoding/json says how
	}
	s.space()
	return s.i == len(s.b), nil
}

// run scans the value at the start of s.b: errMalformed, a *strictFailure, or nil.
func (s *strictScanner) run(t reflect.Type) error {
	s.space()
	return s.value(t)
}

// maxStrictDepth matches encoding/json's nesting limit, so that what is too deep for one is
// too deep for the other.
const maxStrictDepth = 10000

// smallObject is the number of member names of an object that is not a struct (a map, or a
// value that reads its own JSON) compared pairwise for duplicates; beyond it they go into a
// set, so that a 1 MiB body of distinct names stays linear.
const smallObject = 8

var errMalformed = errors.New("malformed JSON")

// strictFailure is what checkStrict refuses; path is filled in on the way out of the
// objects that hold it, so that the scan keeps no path while all is well.
type strictFailure struct {
	path []string // innermost first
	kind failureKind
	name string // the declared name, for wrongCase
}

type failureKind int

const (
	badUTF8 failureKind = iota
	hasNUL
	badName // a member name that is not valid text
	duplicate
	wrongCase
	unknownField
)

func (f *strictFailure) Error() string { return "strict JSON: " + f.field() }

func (f *strictFailure) field() string {
	if len(f.path) == 0 {
		return "body"
	}
	p := slices.Clone(f.path)
	slices.Reverse(p)
	for i, name := range p {
		if name == "" {
			p[i] = `""` // an empty name still names something
		}
	}
	return strings.Join(p, ".")
}

func (f *strictFailure) fault() error {
	field := f.field()
	switch f.kind {
	case hasNUL:
		return fault.Invalid(field, fault.MsgNUL)
	case badName:
		return fault.Invalid(field, fault.MsgBadName)
	case duplicate:
		return fault.Invalid(field, fault.MsgDuplicate)
	case unknownField:
		return fault.Invalid(field, fault.MsgUnknownField)
	case wrongCase:
		return fault.Invalid(field, fault.MsgWrongCase, f.name)
	}
	return fault.Invalid(field, fault.MsgValidUTF8)
}

// strictScanner walks one JSON value.
type strictScanner struct {
	b     []byte
	i     int
	depth int
}

func (s *strictScanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *strictScanner) value(t reflect.Type) error {
	if s.i >= len(s.b) {
		return errMalformed
	}
	switch c := s.b[s.i]; {
	case c == '{':
		return s.object(t)
	case c == '[':
		return s.array(t)
	case c == '"':
		_, _, err := s.str()
		return err
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		s.number()
		return nil
	}
	return errMalformed
}

// number skips a number leniently: encoding/json checks its grammar afterwards.
func (s *strictScanner) number() {
	for ; s.i < len(s.b); s.i++ {
		switch c := s.b[s.i]; {
		case c >= '0' && c <= '9', c == '-', c == '+', c == '.', c == 'e', c == 'E':
		default:
			return
		}
	}
}

func (s *strictScanner) literal(lit string) error {
	if !bytes.HasPrefix(s.b[s.i:], []byte(lit)) {
		return errMalformed
	}
	s.i += len(lit)
	return nil
}

// enter steps into an array or object; it reports whether the container is empty.
func (s *strictScanner) enter(closing byte) (empty bool, err error) {
	s.depth++
	if s.depth > maxStrictDepth {
		return false, errMalformed
	}
	s.i++
	s.space()
	if s.i < len(s.b) && s.b[s.i] == closing {
		s.i++
		s.depth--
		return true, nil
	}
	return false, nil
}

// next steps over the comma between two members or elements; it reports whether the
// container ended instead.
func (s *strictScanner) next(closing byte) (end bool, err error) {
	s.space()
	if s.i >= len(s.b) {
		return false, errMalformed
	}
	switch s.b[s.i] {
	case ',':
		s.i++
		s.space()
		return false, nil
	case closing:
		s.i++
		s.depth--
		return true, nil
	}
	return false, errMalformed
}

func (s *strictScanner) array(t reflect.Type) error {
	empty, err := s.enter(']')
	if empty || err != nil {
		return err
	}
	elem := shapeOf(t).elem
	for {
		if err := s.value(elem); err != nil {
			return err
		}
		if end, err := s.next(']'); end || err != nil {
			return err
		}
	}
}

func (s *strictScanner) object(t reflect.Type) error {
	empty, err := s.enter('}')
	if empty || err != nil {
		return err
	}
	sh := shapeOf(t)
	// Duplicates: a struct's members by field index, other objects' members by name.
	var filled uint64
	var small [smallObject][]byte
	names := small[:0]
	var seen map[string]bool
	for {
		if s.i >= len(s.b) || s.b[s.i] != '"' {
			return errMalformed
		}
		raw, escaped, err := s.str()
		if err != nil {
			if sf, ok := err.(*strictFailure); ok && sf.kind == badUTF8 {
				sf.kind = badName
			}
			return err
		}
		name := raw
		if escaped {
			name = unescape(raw)
		}
		var next reflect.Type
		dup := false
		if sh.fields != nil {
			i, ok := sh.field(name)
			switch {
			case ok && i < 64:
				dup = filled&(1<<i) != 0
				filled |= 1 << i
				next = sh.fields[i].typ
			case ok:
				next = sh.fields[i].typ
				dup, names, seen = remember(name, names, seen)
			default:
				if declared, folded := sh.folded(name); folded {
					return &strictFailure{path: []string{string(name)}, kind: wrongCase, name: declared}
				}
				return &strictFailure{path: []string{string(name)}, kind: unknownField}
			}
		} else {
			dup, names, seen = remember(name, names, seen)
			if sh.isMap {
				next = sh.elem
			}
		}
		if dup {
			return &strictFailure{path: []string{string(name)}, kind: duplicate}
		}
		s.space()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return errMalformed
		}
		s.i++
		s.space()
		if err := s.value(next); err != nil {
			if sf, ok := err.(*strictFailure); ok {
				sf.path = append(sf.path, string(name))
			}
			return err
		}
		if end, err := s.next('}'); end || err != nil {
			return err
		}
	}
}

// remember adds name to the names of one object and reports whether it was there already.
func remember(name []byte, names [][]byte, seen map[string]bool) (bool, [][]byte, map[string]bool) {
	if seen == nil && len(names) < cap(names) {
		for _, other := range names {
			if bytes.Equal(other, name) {
				return true, names, seen
			}
		}
		return false, append(names, name), seen
	}
	if seen == nil {
		seen = make(map[string]bool, 4*smallObject)
		for _, other := range names {
			seen[string(other)] = true
		}
	}
	if seen[string(name)] {
		return true, names, seen
	}
	seen[string(name)] = true
	return false, names, seen
}

// str scans the string at s.i and returns what is between its quotes, and whether that
// holds escapes. Raw bytes must be UTF-8; escapes must not be lone surrogates or U+0000.
func (s *strictScanner) str() (content []byte, escaped bool, err error) {
	b := s.b
	i := s.i + 1
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			content, s.i = b[s.i+1:i], i+1
			return content, escaped, nil
		case c == '\\':
			escaped = true
			if i+1 >= len(b) {
				return nil, false, errMalformed
			}
			if b[i+1] != 'u' {
				if strings.IndexByte(`"\/bfnrt`, b[i+1]) < 0 {
					return nil, false, errMalformed
				}
				i += 2
				continue
			}
			r, ok := hex4(b[i+2:])
			if !ok {
				return nil, false, errMalformed
			}
			i += 6
			switch {
			case r == 0:
				return nil, false, &strictFailure{kind: hasNUL}
			case utf16.IsSurrogate(r) && r < 0xDC00: // a high surrogate needs a low one next
				if i+1 < len(b) && b[i] == '\\' && b[i+1] == 'u' {
					r2, ok := hex4(b[i+2:])
					if !ok {
						return nil, false, errMalformed
					}
					if r2 >= 0xDC00 && r2 < 0xE000 {
						i += 6
						continue
					}
				}
				return nil, false, &strictFailure{kind: badUTF8}
			case utf16.IsSurrogate(r):
				return nil, false, &strictFailure{kind: badUTF8}
			}
		case c < 0x20:
			return nil, false, errMalformed
		case c < utf8.RuneSelf:
			i++
		default:
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && n == 1 {
				return nil, false, &strictFailure{kind: badUTF8}
			}
			i += n
		}
	}
	return nil, false, errMalformed
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// unescape decodes the escapes of a string str has already checked.
func unescape(raw []byte) []byte {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		switch raw[i+1] {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, _ := hex4(raw[i+2:])
			i += 6
			if utf16.IsSurrogate(r) {
				r2, _ := hex4(raw[i+2:])
				r = utf16.DecodeRune(r, r2)
				i += 6
			}
			out = utf8.AppendRune(out, r)
			continue
		default: // " \ /
			out = append(out, raw[i+1])
		}
		i += 2
	}
	return out
}

// shape is what a Go type expects of a JSON value, as far as member names go.
type shape struct {
	fields []shapeField // a struct's members as encoding/json names them; nil otherwise
	elem   reflect.Type // a map's values or a slice's elements
	isMap  bool
}

type shapeField struct {
	name string
	typ  reflect.Type
}

func (sh *shape) field(name []byte) (int, bool) {
	for i, f := range sh.fields {
		if f.name == string(name) {
			return i, true
		}
	}
	return 0, false
}

// folded finds the field encoding/json would fill from name by its case-insensitive match.
func (sh *shape) folded(name []byte) (string, bool) {
	for _, f := range sh.fields {
		if bytes.EqualFold([]byte(f.name), name) {
			return f.name, true
		}
	}
	return "", false
}

// shapes memoizes shapeOf, as encoding/json memoizes its own field lists: a pure function
// of the type, so the cache holds no state of its own and grows only with the request types.
var shapes sync.Map // reflect.Type → *shape

var (
	noShape         = &shape{}
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
)

func shapeOf(t reflect.Type) *shape {
	if t == nil {
		return noShape
	}
	if sh, ok := shapes.Load(t); ok {
		return sh.(*shape)
	}
	sh := newShape(t)
	shapes.Store(t, sh)
	return sh
}

func newShape(t reflect.Type) *shape {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return noShape // it reads its own JSON; only duplicates and text are checked
	}
	switch t.Kind() {
	case reflect.Struct:
		sh := &shape{fields: []shapeField{}}
		addFields(t, sh)
		return sh
	case reflect.Map:
		return &shape{elem: t.Elem(), isMap: true}
	case reflect.Slice, reflect.Array:
		return &shape{elem: t.Elem()}
	}
	return noShape
}

// addFields lists t's fields the way encoding/json names them, embedded structs' promoted.
func addFields(t reflect.Type, sh *shape) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				addFields(ft, sh)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		sh.fields = append(sh.fields, shapeField{name, f.Type})
	}
}
