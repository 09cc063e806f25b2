package db

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"strings"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
)

// Migrate applies the numbered migrations in fsys that are not applied yet.
//
// Migrations are portable SQL. Where the engines cannot share a statement (a trigger body),
// a migration marks sections with lines "-- +dialect sqlite" or "-- +dialect postgres"; a
// section ends at the next such line or at "-- +dialect all". The other engine's sections
// are blanked before goose reads the file.
func (d *DB) Migrate(ctx context.Context, fsys fs.FS, log *slog.Logger) error {
	dialect := database.DialectSQLite3
	if d.Dialect == Postgres {
		dialect = database.DialectPostgres
	}
	p, err := goose.NewProvider(dialect, d.W, dialectFS{FS: fsys, dialect: d.Dialect})
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, r := range res {
		if log != nil {
			log.Info("migration applied", "version", r.Source.Version, "path", r.Source.Path, "took", r.Duration)
		}
	}
	return nil
}

// dialectFS serves fsys with the .sql files filtered for one dialect (see Migrate).
type dialectFS struct {
	fs.FS
	dialect Dialect
}

func (f dialectFS) Open(name string) (fs.File, error) {
	file, err := f.FS.Open(name)
	if err != nil || !strings.HasSuffix(name, ".sql") {
		return file, err
	}
	defer file.Close()
	info, err := file.Stat()
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(file)
	if err != nil {
		return nil, err
	}
	out := ForDialect(b, f.dialect)
	return &memFile{Reader: bytes.NewReader(out), info: memInfo{FileInfo: info, size: int64(len(out))}}, nil
}

// ForDialect keeps the lines of a migration that apply to dialect d (see Migrate); the others
// become empty lines, so that line numbers in errors still match the file.
func ForDialect(sql []byte, d Dialect) []byte {
	var out bytes.Buffer
	keep := true
	sc := bufio.NewScanner(bytes.NewReader(sql))
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "-- +dialect "); ok {
			switch strings.TrimSpace(rest) {
			case "all":
				keep = true
			case d.String():
				keep = true
			default:
				keep = false
			}
			out.WriteByte('\n')
			continue
		}
		if keep {
			out.WriteString(line)
		}
		out.WriteByte('\n')
	}
	return out.Bytes()
}

type memFile struct {
	*bytes.Reader
	info memInfo
}

func (m *memFile) Stat() (fs.FileInfo, error) { return m.info, nil }
func (m *memFile) Close() error               { return nil }

// memInfo is the original file's info with the filtered size.
type memInfo struct {
	fs.FileInfo
	size int64
}

func (i memInfo) Size() int64 { return i.size }
