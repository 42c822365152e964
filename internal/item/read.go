package item

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/store"
)

// The read layer. Every query of shared items, of any kind, starts from
// who is asking: For(viewer) or, for the server's own decisions, Server().
// Outside this package SQL never names the items table directly; it
// writes the token {items a} where it would write "items a", and a read
// for a viewer must also write {visible a}, which becomes the
// need-to-know predicate (access.Filter) for that alias. A query that
// names items without the predicate does not run (SQL panics), and a test
// (readlayer_test.go) fails on SQL outside this package that reads the
// items table. Kinds keep their own joins, conditions, order and limits,
// so tuned query shapes stay exactly as written.
//
// Select builds the common shape, SELECT ... FROM {items i} ... WHERE ...
// AND {visible i} ORDER BY ... LIMIT ?, with the predicate added for you.

// Read is a read of shared items on behalf of one viewer, or of the
// server itself.
type Read struct {
	v      access.Viewer
	server bool
}

// For starts a read for viewer v: every items alias the SQL names is
// filtered for v.
func For(v access.Viewer) Read { return Read{v: v} }

// Server starts a read for the server's own decisions (an owner check
// before a write, deconfliction across partners, the refusal audit),
// whose rows are never shown to a viewer as they are. It names items
// without a predicate; use it only where no viewer is asking.
func Server() Read { return Read{server: true} }

// Viewer returns the viewer the read is for (zero for Server).
func (r Read) Viewer() access.Viewer { return r.v }

// Rows is what runs a read: a store.DB (its reader pool or the
// transaction the context carries) or a store.Tx.
type Rows interface {
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) *sql.Row
}

// Querier runs multi-row reads only.
type Querier interface {
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// SQL expands the tokens of q ({items a}, {visible a}) and returns the
// SQL to run with its arguments: args in the order of q's ? placeholders,
// with each predicate's own arguments spliced in where it stands. It
// panics when q names an items alias without its predicate on a viewer's
// read: that is a programming error, and every query is run by a test.
func (r Read) SQL(q string, args ...any) (string, []any) {
	var b strings.Builder
	b.Grow(len(q) + 256)
	out := make([]any, 0, len(args)+8)
	named := map[string]bool{}
	filtered := map[string]bool{}
	n := 0 // caller arguments consumed
	inQuote := false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			inQuote = !inQuote
			b.WriteByte(c)
		case c == '?' && !inQuote:
			if n >= len(args) {
				panic(fmt.Sprintf("item: read has more placeholders than arguments (%d): %s", len(args), q))
			}
			out = append(out, args[n])
			n++
			b.WriteByte(c)
		case c == '{' && !inQuote:
			end := strings.IndexByte(q[i:], '}')
			if end < 0 {
				panic("item: unclosed token in read: " + q)
			}
			word, alias, ok := strings.Cut(q[i+1:i+end], " ")
			if !ok || alias == "" || strings.ContainsAny(alias, " .'\"") {
				panic("item: bad token " + strconv.Quote(q[i:i+end+1]) + " in read")
			}
			switch word {
			case "items":
				named[alias] = true
				b.WriteString("items ")
				b.WriteString(alias)
			case "visible":
				if r.server {
					panic("item: a server read has no viewer to filter for: " + q)
				}
				filtered[alias] = true
				pred, pargs := access.Filter(alias, r.v)
				b.WriteString(pred)
				out = append(out, pargs...)
			default:
				panic("item: unknown token " + strconv.Quote(word) + " in read")
			}
			i += end
		default:
			b.WriteByte(c)
		}
	}
	if n != len(args) {
		panic(fmt.Sprintf("item: read has %d arguments for %d placeholders: %s", len(args), n, q))
	}
	if !r.server {
		for a := range named {
			if !filtered[a] {
				panic("item: read names items " + a + " without {visible " + a + "}: " + q)
			}
		}
	}
	return b.String(), out
}

// Query runs a multi-row read on db.
func (r Read) Query(ctx context.Context, db Querier, q string, args ...any) (*sql.Rows, error) {
	q, args = r.SQL(q, args...)
	return db.Query(ctx, q, args...)
}

// QueryRow runs a single-row read on db.
func (r Read) QueryRow(ctx context.Context, db Rows, q string, args ...any) *sql.Row {
	q, args = r.SQL(q, args...)
	return db.QueryRow(ctx, q, args...)
}

// Select starts the common shape of a read: SELECT cols FROM {items i},
// then the kind's joins, conditions, order and limit; the predicate on i
// is added to the WHERE by SQL.
func (r Read) Select(cols string) *Query {
	return &Query{r: r, cols: cols, from: "{items i}"}
}

// Query is a read built piece by piece; see Read.Select.
type Query struct {
	r     Read
	cols  string
	from  string
	joins []string
	args  []any // arguments of from and joins, in order
	where []string
	wargs []any
	order string
	limit int
}

// From replaces the FROM clause (without the word FROM); it must name
// {items i}. Used where a kind's index is read first (full text, spatial).
func (q *Query) From(from string, args ...any) *Query {
	q.from = from
	q.args = append(args, q.args...)
	return q
}

// Join adds joins (with the word JOIN) after the FROM clause.
func (q *Query) Join(join string, args ...any) *Query {
	q.joins = append(q.joins, join)
	q.args = append(q.args, args...)
	return q
}

// Where adds one condition to the WHERE clause (ANDed).
func (q *Query) Where(cond string, args ...any) *Query {
	q.where = append(q.where, cond)
	q.wargs = append(q.wargs, args...)
	return q
}

// OrderBy sets the ORDER BY clause (without the words).
func (q *Query) OrderBy(order string) *Query {
	q.order = order
	return q
}

// Limit caps the rows read (0: no limit).
func (q *Query) Limit(n int) *Query {
	q.limit = n
	return q
}

// SQL returns the query and its arguments, tokens expanded.
func (q *Query) SQL() (string, []any) {
	var b strings.Builder
	b.WriteString("SELECT ")
	b.WriteString(q.cols)
	b.WriteString(" FROM ")
	b.WriteString(q.from)
	for _, j := range q.joins {
		b.WriteByte(' ')
		b.WriteString(j)
	}
	args := append(append([]any{}, q.args...), q.wargs...)
	where := q.where
	if !q.r.server {
		where = append(where[:len(where):len(where)], "{visible i}")
	}
	if len(where) > 0 {
		b.WriteString(" WHERE ")
		b.WriteString(strings.Join(where, " AND "))
	}
	if q.order != "" {
		b.WriteString(" ORDER BY ")
		b.WriteString(q.order)
	}
	if q.limit > 0 {
		b.WriteString(" LIMIT ?")
		args = append(args, q.limit)
	}
	return q.r.SQL(b.String(), args...)
}

// Rows runs the query.
func (q *Query) Rows(ctx context.Context, db Querier) (*sql.Rows, error) {
	s, args := q.SQL()
	return db.Query(ctx, s, args...)
}

// Row runs the query for one row.
func (q *Query) Row(ctx context.Context, db Rows) *sql.Row {
	s, args := q.SQL()
	return db.QueryRow(ctx, s, args...)
}

// Exec runs a write whose statement reads items (INSERT ... SELECT) inside
// tx.
func (r Read) Exec(ctx context.Context, tx *store.Tx, q string, args ...any) (sql.Result, error) {
	q, args = r.SQL(q, args...)
	return tx.Exec(ctx, q, args...)
}
