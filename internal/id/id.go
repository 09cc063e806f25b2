// Package id makes the opaque, time-ordered identifiers Dompet hands out ("tx_01JD…").
package id

import (
	"strings"

	"github.com/oklog/ulid/v2"
)

// New returns prefix + "_" + a lower-case ULID: unique, sortable by creation time.
func New(prefix string) string {
	return prefix + "_" + strings.ToLower(ulid.Make().String())
}
