// Package pgerr turns PostgreSQL and pgx errors into fault errors, for the storage packages of
// every service: no row is not-found, anything unexpected is internal (its SQL text is logged,
// never shown), constraint violations are told apart by code and constraint name.
package pgerr

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/flowkiwi/platform/pkg/fault"
)

// Wrap passes fault errors through and makes any other error internal.
func Wrap(err error) error {
	if err == nil {
		return nil
	}
	var fe *fault.Error
	if errors.As(err, &fe) {
		return err
	}
	return fault.Internal(fmt.Errorf("postgres: %w", err))
}

// NotFound maps pgx.ErrNoRows to a not-found fault ("no such <what>"); other errors are wrapped.
func NotFound(err error, what string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fault.NotFound("no such %s", what)
	}
	return Wrap(err)
}

// Unique reports a unique violation and its constraint.
func Unique(err error) (constraint string, ok bool) { return code(err, "23505") }

// ForeignKey reports a foreign-key violation and its constraint.
func ForeignKey(err error) (constraint string, ok bool) { return code(err, "23503") }

func code(err error, want string) (string, bool) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == want {
		return pe.ConstraintName, true
	}
	return "", false
}
