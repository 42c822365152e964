package exchange_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/cli"
	"github.com/opsroom/opsroom/internal/exchange"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

func counts(t *testing.T, db *store.DB) string {
	t.Helper()
	var parts []string
	for _, table := range []string{"partners", "members", "rooms", "items", "audit"} {
		var n int
		if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, table+"="+itoa(n))
	}
	return strings.Join(parts, " ")
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestExportImportRoundTrip: what a member may see, exported from the
// demo, imports into an empty server and exports again the same.
func TestExportImportRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		src := cli.NewServices(db)
		if err := db.Batch(ctx, func(ctx context.Context) error { _, err := src.LoadDemo(ctx); return err }); err != nil {
			t.Fatal(err)
		}
		p, err := src.Members.AsMember(ctx, "ru.general", "test")
		if err != nil {
			t.Fatal(err)
		}
		doc, err := src.Exchanger().Export(ctx, p, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(doc.Reports) == 0 || len(doc.Claims) == 0 || len(doc.Events) == 0 || len(doc.Provenance) == 0 {
			t.Fatalf("the export is thin: %d reports, %d claims, %d events, %d links", len(doc.Reports), len(doc.Claims), len(doc.Events), len(doc.Provenance))
		}
		var buf bytes.Buffer
		if err := json.NewEncoder(&buf).Encode(doc); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(buf.String(), `"password"`) {
			t.Fatal("an export holds a password")
		}
		back, err := exchange.Decode(&buf)
		if err != nil {
			t.Fatal(err)
		}

		dst := storetest.Open(t, db.Engine())
		to := cli.NewServices(dst)
		sum, err := to.Exchanger().Import(ctx, back)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Records != back.Records() {
			t.Fatalf("imported %d of %d", sum.Records, back.Records())
		}
		p2, err := to.Members.AsMember(ctx, "ru.general", "test")
		if err != nil {
			t.Fatal(err)
		}
		again, err := to.Exchanger().Export(ctx, p2, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name string
			a, b int
		}{{"partners", len(doc.Partners), len(again.Partners)}, {"members", len(doc.Members), len(again.Members)},
			{"rooms", len(doc.Rooms), len(again.Rooms)}, {"places", len(doc.Places), len(again.Places)}, {"sites", len(doc.Sites), len(again.Sites)},
			{"sources", len(doc.Sources), len(again.Sources)}, {"reports", len(doc.Reports), len(again.Reports)},
			{"provenance", len(doc.Provenance), len(again.Provenance)}, {"events", len(doc.Events), len(again.Events)}, {"claims", len(doc.Claims), len(again.Claims)}} {
			if c.a != c.b {
				t.Errorf("%s: exported %d, re-exported %d", c.name, c.a, c.b)
			}
		}
	})
}

// TestBadRecordWritesNothing: an import that fails anywhere names the
// record and leaves the database as it was.
func TestBadRecordWritesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := cli.NewServices(db)
		doc := &exchange.Document{Format: exchange.Format,
			Partners: []exchange.Partner{{Code: "RU", Name: "Russia", Kind: "state"}, {Code: "IQ", Name: "Iraq", Kind: "state"}},
			Members:  []exchange.Member{{Username: "ru.analyst", Partner: "RU", Kind: access.Device}},
		}
		doc.Rooms = []exchange.Room{{Seats: []exchange.Seat{{Member: "ru.analyst"}}}}
		doc.Rooms[0].Slug, doc.Rooms[0].Name, doc.Rooms[0].Purpose, doc.Rooms[0].CommandModel, doc.Rooms[0].Partners = "b", "B", "p", "unspecified", []string{"RU", "IQ"}
		doc.Sources = []exchange.Source{{Shared: exchange.Shared{Ref: "s1", Room: "b", By: "ru.analyst"}, Name: "Al-Rai", Kind: "outlet", Reliability: "C"}}
		doc.Reports = []exchange.Report{
			{Shared: exchange.Shared{Ref: "r1", Room: "b", By: "ru.analyst"}, Title: "one", Text: "t", Source: "s1", Credibility: 3},
			{Shared: exchange.Shared{Ref: "r2", Room: "b", By: "ru.analyst"}, Title: "two", Text: "t", Source: "s9", Credibility: 3},
		}
		before := counts(t, db)
		_, err := s.Exchanger().Import(ctx, doc)
		var re *exchange.RecordError
		if !errors.As(err, &re) || re.Section != "reports" || re.Index != 1 || !strings.Contains(err.Error(), `reports[1] (r2): source: no earlier record has ref "s9"`) {
			t.Fatalf("import: %v", err)
		}
		if after := counts(t, db); after != before {
			t.Fatalf("a failed import wrote: %s -> %s", before, after)
		}
		doc.Reports[1].Source = "s1"
		doc.Reports[1].Credibility = 7
		if _, err := s.Exchanger().Import(ctx, doc); err == nil || !strings.Contains(err.Error(), "reports[1] (r2): credibility") {
			t.Fatalf("credibility 7: %v", err)
		}
		doc.Reports[1].Credibility = 2
		if _, err := s.Exchanger().Import(ctx, doc); err != nil {
			t.Fatal(err)
		}
	})
}

func TestDecodeRefusesUnknownFormatAndFields(t *testing.T) {
	for _, in := range []string{`{"format":"other/1"}`, `{"format":"opsroom-exchange/1","sauces":[]}`, `{"format":`, `{"format":"opsroom-exchange/1","reports":[{"credibility":"high"}]}`} {
		if _, err := exchange.Decode(strings.NewReader(in)); err == nil {
			t.Errorf("%s: accepted", in)
		}
	}
}

// TestDecodeRefusesInvalidUTF8: bytes that are not UTF-8 stop the import
// with their offset, wherever a read cuts them, instead of being stored as
// U+FFFD; valid multi-byte text cut by a read passes.
func TestDecodeRefusesInvalidUTF8(t *testing.T) {
	good := `{"format":"opsroom-exchange/1","partners":[{"code":"SY","name":"سوريا ✓ Ḩamāh","kind":"state"}]}`
	bad := `{"format":"opsroom-exchange/1","partners":[{"code":"SY","name":"Syria ` + "\xe2\x82" + `","kind":"state"}]}`
	for _, chunk := range []int{1, 2, 3, 7, 4096} {
		if _, err := exchange.Decode(&chunked{s: good, n: chunk}); err != nil {
			t.Errorf("valid UTF-8 in reads of %d bytes: %v", chunk, err)
		}
		_, err := exchange.Decode(&chunked{s: bad, n: chunk})
		if err == nil || !strings.Contains(err.Error(), "not valid UTF-8 (at byte 70)") {
			t.Errorf("invalid UTF-8 in reads of %d bytes: %v", chunk, err)
		}
	}
}

// chunked reads s at most n bytes at a time.
type chunked struct {
	s string
	n int
}

func (c *chunked) Read(p []byte) (int, error) {
	if c.s == "" {
		return 0, io.EOF
	}
	k := min(c.n, len(p), len(c.s))
	copy(p, c.s[:k])
	c.s = c.s[k:]
	return k, nil
}
