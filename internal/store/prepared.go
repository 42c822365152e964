package store

import (
	"context"
	"database/sql"
)

// ExecPrepared runs a statement like Exec, but prepares it only once per
// transaction and reuses it on later calls with the same SQL text. Bulk
// writers use it for the statements they repeat thousands of times in one
// transaction (SQLite would otherwise parse and plan the SQL on every
// call). The statements are closed when the transaction ends. A Tx is used
// by one goroutine at a time, so the cache takes no lock.
func (tx *Tx) ExecPrepared(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := tx.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	res, err := st.ExecContext(ctx, args...)
	return res, tx.db.mapErr(err)
}

func (tx *Tx) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := tx.stmts[query]; ok {
		return st, nil
	}
	st, err := tx.tx.PrepareContext(ctx, tx.db.Rebind(query))
	if err != nil {
		return nil, tx.db.mapErr(err)
	}
	if tx.stmts == nil {
		tx.stmts = map[string]*sql.Stmt{}
	}
	tx.stmts[query] = st
	return st, nil
}

// Value returns what SetValue stored under key in this transaction, or
// nil: state a package keeps for the length of one transaction (the audit
// chain's head, for one). Keys should be of a type of the package's own,
// as with context.Context.
func (tx *Tx) Value(key any) any { return tx.values[key] }

// SetValue stores v under key for the rest of the transaction.
func (tx *Tx) SetValue(key, v any) {
	if tx.values == nil {
		tx.values = map[any]any{}
	}
	tx.values[key] = v
}
