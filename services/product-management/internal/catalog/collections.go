package catalog

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/pkg/fault"
)

// Collection is a curated group of products.
type Collection struct {
	ID          uuid.UUID
	Title       *string // in the read locale
	Handle      string
	Description *string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// CollectionChange creates or patches a collection (nil: unchanged; Clear*: remove).
type CollectionChange struct {
	Title, Handle, Description   *string
	ClearTitle, ClearDescription bool
}

// CollectionStore persists collections.
type CollectionStore interface {
	Collections(ctx context.Context, instance uuid.UUID, loc ReadLocale, page, perPage int) ([]Collection, int, error)
	CollectionsByID(ctx context.Context, instance uuid.UUID, ids []uuid.UUID, loc ReadLocale) ([]Collection, error)
	SaveCollection(ctx context.Context, instance uuid.UUID, c Collection, locale string, setTitle bool, create bool) error
	DeleteCollection(ctx context.Context, instance, id uuid.UUID) error
}

var collectionHandle = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// ApplyCollection validates a change to c (a new collection when c.ID is nil).
func ApplyCollection(c Collection, ch CollectionChange) (Collection, error) {
	var vs fault.Violations
	if c.ID == uuid.Nil {
		c.ID = newID()
	}
	if ch.Handle != nil {
		c.Handle = *ch.Handle
	}
	if !collectionHandle.MatchString(c.Handle) || len(c.Handle) > 255 {
		vs.Add("handle", "invalid_handle", "lowercase letters, digits and single hyphens")
	}
	switch {
	case ch.ClearTitle:
		c.Title = nil
	case ch.Title != nil:
		c.Title = text(ch.Title)
	}
	switch {
	case ch.ClearDescription:
		c.Description = nil
	case ch.Description != nil:
		c.Description = text(ch.Description)
	}
	return c, vs.Err()
}

// collectionIDs resolves collection IRIs against the instance's collections.
func (s *Service) collectionIDs(ctx context.Context, instance uuid.UUID, iris []string) ([]uuid.UUID, error) {
	var vs fault.Violations
	var ids []uuid.UUID
	seen := map[uuid.UUID]bool{}
	for i, iri := range iris {
		id, ok := ParseIRI(strings.TrimSpace(iri), "/rest/api/collections/")
		if !ok {
			vs.Add("collections["+itoa(i)+"].collection", "unknown_collection", "no such collection in this instance")
			continue
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if len(ids) > 0 {
		found, err := s.store.CollectionsByID(ctx, instance, ids, ReadLocale{})
		if err != nil {
			return nil, err
		}
		known := map[uuid.UUID]bool{}
		for _, c := range found {
			known[c.ID] = true
		}
		for i, iri := range iris {
			if id, ok := ParseIRI(strings.TrimSpace(iri), "/rest/api/collections/"); ok && !known[id] {
				vs.Add("collections["+itoa(i)+"].collection", "unknown_collection", "no such collection in this instance")
			}
		}
	}
	return ids, vs.Err()
}
