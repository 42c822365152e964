package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/opsroom/opsroom/internal/exchange"
)

// Exchanger is the importer/exporter on these services.
func (s *Services) Exchanger() *exchange.Importer {
	return &exchange.Importer{DB: s.DB, Members: s.Members, Rooms: s.Rooms, Picture: s.picture(), Intel: s.intel()}
}

func cmdImport(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "import", "import FILE|-   (an opsroom exchange document; all of it or nothing is written)")
	var dbf dbFlags
	dbf.register(fs, env)
	return withDB(ctx, fs, &dbf, args, func(s *Services) error {
		if fs.NArg() != 1 {
			return errors.New("name one file to import (- for standard input)")
		}
		var r io.Reader = os.Stdin
		if name := fs.Arg(0); name != "-" {
			f, err := os.Open(name)
			if err != nil {
				return err
			}
			defer f.Close()
			r = f
		}
		doc, err := exchange.Decode(r)
		if err != nil {
			return err
		}
		im := s.Exchanger()
		start := time.Now()
		if isTerminal(env.Stderr) {
			im.Progress = func(done, total int) {
				fmt.Fprintf(env.Stderr, "\rimported %d of %d records", done, total)
				if done == total {
					fmt.Fprintln(env.Stderr)
				}
			}
		}
		sum, err := im.Import(ctx, doc)
		if err != nil {
			// Not wrapped: the record's name and position would be lost
			// when the error is described as invalid input.
			return fmt.Errorf("nothing was imported: %v", err)
		}
		fmt.Fprintf(env.Stdout, "imported %d records in %v\n", sum.Records, time.Since(start).Round(time.Millisecond))
		return nil
	})
}

func cmdExport(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "export", "export --as USERNAME [--room SLUG] [--out FILE]   (what that member may see)")
	var dbf dbFlags
	dbf.register(fs, env)
	as := fs.String("as", "", "the member whose view is exported (required)")
	slug := fs.String("room", "", "only this room (default: every room the member belongs to)")
	out := fs.String("out", "-", "file to write (- for standard output)")
	return withDB(ctx, fs, &dbf, args, func(s *Services) error {
		if *as == "" {
			return errors.New("--as is required: an export is always what one member may see")
		}
		p, err := s.Members.AsMember(ctx, *as, "cli")
		if err != nil {
			return err
		}
		var slugs []string
		if *slug != "" {
			slugs = []string{*slug}
		}
		doc, err := s.Exchanger().Export(ctx, p, slugs)
		if err != nil {
			return err
		}
		var w io.Writer = env.Stdout
		if *out != "-" {
			f, err := os.OpenFile(*out, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
			if err != nil {
				return err
			}
			defer f.Close()
			w = f
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(doc)
	})
}

// isTerminal reports whether w is a terminal (for progress output).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
