package store

import "github.com/google/uuid"

// NewID returns a new time-sortable identifier (UUIDv7, as text).
func NewID() string { return uuid.Must(uuid.NewV7()).String() }
