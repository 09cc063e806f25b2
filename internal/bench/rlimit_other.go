//go:build !unix

package bench

// raiseOpenFiles has no limit to raise here.
func raiseOpenFiles() (uint64, error) { return 1 << 20, nil }
