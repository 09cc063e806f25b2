package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/dompet/dompet/internal/front"
)

// The message catalogues: i18n/<area>.<locale>.json, one file per area of the site and
// language, so that the wallet pages, the help center and the console each keep their own.
// A value is a string, or for a counted message an object of plural forms ({"one", "other"}:
// English has both, Chinese only "other").
//
//go:embed i18n
var catalogueFS embed.FS

// message is one catalogue entry: its plural forms ("other" is the plain text).
type message map[string]string

// catalogue holds every message by locale and key.
type catalogue [front.NumLocales]map[string]message

// loadCatalogue reads every catalogue file. The same key twice, a file for a language
// Dompet does not speak, or a key missing in one language fails the start.
func loadCatalogue(fsys fs.FS) (catalogue, error) {
	var c catalogue
	for l := range c {
		c[l] = map[string]message{}
	}
	files, err := fs.Glob(fsys, "i18n/*.json")
	if err != nil {
		return c, err
	}
	for _, f := range files {
		base := strings.TrimSuffix(path.Base(f), ".json")
		dot := strings.IndexByte(base, '.')
		if dot < 0 {
			return c, fmt.Errorf("catalogue %s: name it <area>.<locale>.json", f)
		}
		l, ok := front.ParseLocale(base[dot+1:])
		if !ok || l.String() != base[dot+1:] {
			return c, fmt.Errorf("catalogue %s: unknown locale %q", f, base[dot+1:])
		}
		raw, err := fs.ReadFile(fsys, f)
		if err != nil {
			return c, err
		}
		var entries map[string]json.RawMessage
		if err := json.Unmarshal(raw, &entries); err != nil {
			return c, fmt.Errorf("catalogue %s: %w", f, err)
		}
		for k, v := range entries {
			if _, dup := c[l][k]; dup {
				return c, fmt.Errorf("catalogue %s: key %q is defined twice", f, k)
			}
			var m message
			var s string
			if json.Unmarshal(v, &s) == nil {
				m = message{"other": s}
			} else if err := json.Unmarshal(v, &m); err != nil || m["other"] == "" {
				return c, fmt.Errorf("catalogue %s: key %q: a string or {\"one\",\"other\"}", f, k)
			}
			c[l][k] = m
		}
	}
	for k := range c[front.EN] {
		for l := range c {
			if _, ok := c[l][k]; !ok {
				return c, fmt.Errorf("catalogue: %q has no %s text", k, front.Locale(l))
			}
		}
	}
	for l := range c {
		for k := range c[l] {
			if _, ok := c[front.EN][k]; !ok {
				return c, fmt.Errorf("catalogue: %q is in %s only", k, front.Locale(l))
			}
		}
	}
	return c, nil
}

// lookup is the message key in l, if the catalogue has it (for keys built from data).
func (c catalogue) lookup(l front.Locale, key string) (string, bool) {
	m, ok := c[l][key]
	return m["other"], ok
}

// text is the message key in l; a key that does not exist shows itself, loudly, rather than
// an empty space (New refuses templates that name one, so only Go code can).
func (c catalogue) text(l front.Locale, key string) string {
	if m, ok := c[l][key]; ok {
		return m["other"]
	}
	return "[" + key + "]"
}

// plural is the form of key for n in l: "one" for 1 in English, "other" otherwise.
func (c catalogue) plural(l front.Locale, key string, n int64) string {
	m, ok := c[l][key]
	if !ok {
		return "[" + key + "]"
	}
	if n == 1 {
		if s, ok := m["one"]; ok {
			return s
		}
	}
	return m["other"]
}

// keyUse finds the catalogue keys a template names literally: .T "key", .N "key", and
// $.T / $.N inside a range.
var keyUse = regexp.MustCompile(`\.(?:T|N|Tf)\s+"([a-z0-9_.\-]+)"`)

// checkMessages fails when a page or the layout names a key the catalogues lack.
func (s *Site) checkMessages(pageFiles []string) error {
	files, err := fs.Glob(templateFS, "templates/base/*.html")
	if err != nil {
		return err
	}
	var missing []string
	for _, f := range append(files, pageFiles...) {
		raw, err := fs.ReadFile(templateFS, f)
		if err != nil {
			return err
		}
		for _, m := range keyUse.FindAllSubmatch(raw, -1) {
			if _, ok := s.cat[front.EN][string(m[1])]; !ok {
				missing = append(missing, path.Base(f)+": "+string(m[1]))
			}
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("web templates name messages no catalogue has: %s", strings.Join(slices.Compact(missing), ", "))
	}
	return nil
}
