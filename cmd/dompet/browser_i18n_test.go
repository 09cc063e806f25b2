package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// flowLangs are the languages every browser flow runs in.
var flowLangs = []string{"en", "zh-CN"}

// catalogueMessage is the message key of the site's catalogues in lang, as the plural form
// form ("other" for a plain message), read from internal/web/i18n: the pages' own words, so
// that a flow's assertions hold in either language.
func catalogueMessage(t *testing.T, lang, key, form string) string {
	t.Helper()
	files, err := filepath.Glob("../../internal/web/i18n/*." + lang + ".json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no %s catalogues: %v", lang, err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var entries map[string]json.RawMessage
		if err := json.Unmarshal(raw, &entries); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		v, ok := entries[key]
		if !ok {
			continue
		}
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
		var forms map[string]string
		if err := json.Unmarshal(v, &forms); err != nil {
			t.Fatalf("%s: %s: %v", f, key, err)
		}
		if s, ok := forms[form]; ok {
			return s
		}
		return forms["other"] // Chinese has no "one"
	}
	t.Fatalf("no %s text for %s", lang, key)
	return ""
}

// msg is the catalogue's text of key in lang, its verbs filled with args.
func msg(t *testing.T, lang, key string, args ...any) string {
	t.Helper()
	s := catalogueMessage(t, lang, key, "other")
	if len(args) > 0 {
		s = fmt.Sprintf(s, args...)
	}
	return s
}

// msgCount is the counted message key in lang for n ("one" in English for 1).
func msgCount(t *testing.T, lang, key string, n int) string {
	t.Helper()
	form := "other"
	if n == 1 && lang == "en" {
		form = "one"
	}
	return fmt.Sprintf(catalogueMessage(t, lang, key, form), n)
}

// msgVerb is a printf verb or a script's {placeholder} in a message.
var msgVerb = regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z%]|\{[^}]*\}`)

// containsMsg: s holds every fixed part of the message key in lang (the text between its
// verbs), for a message whose values the test does not know.
func containsMsg(t *testing.T, s, lang, key string) bool {
	t.Helper()
	checked := 0
	for _, part := range msgVerb.Split(msg(t, lang, key), -1) {
		if part = strings.TrimSpace(part); part != "" {
			if !strings.Contains(s, part) {
				return false
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatalf("%s has no fixed text to look for", key)
	}
	return true
}

// shotIn names a screenshot that had no language in its name: English keeps the name (the
// README links some), the other languages get theirs as a suffix.
func shotIn(name, lang string) string {
	if lang == "en" {
		return name
	}
	return name + "-" + lang
}
