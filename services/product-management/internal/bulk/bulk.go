// Package bulk moves whole catalogs in and out of an instance as NDJSON: exports that hand off to
// the events feed, and imports by the partner's keys. Both run in the background as River jobs;
// the catalog does every read and write, and a Codec (the HTTP layer's) turns products into lines
// and lines into products, so a line is exactly what PUT /rest/api/products/key={key} takes.
package bulk

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
)

// Kept is how long exports (and their files) and imports (and their results) are kept.
const Kept = 7 * 24 * time.Hour

// Enqueue inserts a job in tx, so it exists if and only if tx commits.
type Enqueue func(ctx context.Context, tx pgx.Tx, args river.JobArgs) error

// Refs are what lines name by key: every channel and attribute of the instance (products embed
// their categories, collections and medias).
type Refs struct {
	Channels   map[uuid.UUID]catalog.Channel
	Attributes map[uuid.UUID]catalog.Attribute
}

// Codec turns products into lines and lines into products' states: the HTTP layer's rendering
// and reading of request bodies, so a line is exactly a body of the API.
type Codec interface {
	// ExportLine renders product p of view v (read with its medias, category and collections
	// embedded) as one line, without its newline.
	ExportLine(v catalog.View, p catalog.Product, refs Refs) ([]byte, error)
	// ImportLines reads lines as products' states, resolving the references they make by key
	// with idsOf, once for all the lines.
	ImportLines(ctx context.Context, lines [][]byte, idsOf func(ctx context.Context, refs []catalog.KeyRef) (map[catalog.KeyRef]uuid.UUID, error)) ([]Decoded, error)
	// ImportEvent renders an import as its event's data.
	ImportEvent(im Import) (json.RawMessage, error)
}

// Store keeps exports and imports.
type Store interface {
	ExportStore
	ImportStore
}

// Catalog is what bulk work reads and writes through.
type Catalog interface {
	SetProduct(ctx context.Context, instance uuid.UUID, locale, key string, in catalog.ProductInput, ifVersion int64) (catalog.View, catalog.SetOutcome, error)
	SetProducts(ctx context.Context, instance uuid.UUID, locale string, lines []catalog.SetLine) ([]catalog.SetResult, error)
	IDsOfKeys(ctx context.Context, instance uuid.UUID, refs []catalog.KeyRef) (map[catalog.KeyRef]uuid.UUID, error)
	ListProducts(ctx context.Context, instance uuid.UUID, q catalog.ListQuery, r catalog.Read) (catalog.View, catalog.Total, *catalog.Cursor, error)
	Channels(ctx context.Context, instance uuid.UUID) ([]catalog.Channel, error)
	Attributes(ctx context.Context, instance uuid.UUID, loc catalog.ReadLocale, page, perPage int) ([]catalog.Attribute, int, error)
}
