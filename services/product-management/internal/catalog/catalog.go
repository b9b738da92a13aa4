// Package catalog holds the product catalog of an instance: products, their options, option values
// and variants, with translatable texts, and the instance's locales.
package catalog

import (
	"time"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/services/product-management/internal/price"
)

// Limits like the leading platforms'.
const (
	MaxOptions         = 3
	MaxVariants        = 2048
	MaxTags            = 250
	MaxValuesPerOption = 250
)

// Status is a product's lifecycle status.
type Status string

const (
	Draft    Status = "draft"
	Active   Status = "active"
	Archived Status = "archived"
)

// Statuses lists every status in order.
func Statuses() []Status { return []Status{Draft, Active, Archived} }

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return s == Draft || s == Active || s == Archived }

// Name is the status's display name.
func (s Status) Name() string {
	switch s {
	case Active:
		return "Active"
	case Archived:
		return "Archived"
	}
	return "Draft"
}

// Product is a product with its options and variants.
type Product struct {
	ID          uuid.UUID
	Status      Status
	Vendor      *string
	Title       *string // in the read locale
	Description *string
	Tags        []string
	Version     int64 // bumped by every write to the product's graph
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Options     []Option    // by position
	Variants    []Variant   // by position
	Channels    []uuid.UUID // by position
	Collections []uuid.UUID // in the order given
	Medias      []uuid.UUID // by position
	Category    *uuid.UUID
	Values      []AttributeValue
}

// Option is a product option (Size, Color) with its values.
type Option struct {
	ID        uuid.UUID
	ProductID uuid.UUID
	Name      *string
	Position  int
	Values    []OptionValue
}

// OptionValue is one value of an option.
type OptionValue struct {
	ID        uuid.UUID
	OptionID  uuid.UUID
	ProductID uuid.UUID
	Value     *string
	Position  int
}

// Variant is a sellable variant of a product.
type Variant struct {
	ID             uuid.UUID
	ProductID      uuid.UUID
	SKU            string
	Title          *string
	Barcode        *string
	Position       int
	OptionValueIDs []uuid.UUID // ordered by option position
	Medias         []uuid.UUID // some of the product's medias, in order
	Version        int64       // bumped by every write to the variant
	IfVersion      int64       // on update: the version the write expects (0: any)
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Prices         []price.Row // new prices (on create)
	// Resolved and Lowest are set by reads with a resolve context (Priced true).
	Priced   bool
	Resolved *price.Row
	Lowest   *int64
}

// Locales are an instance's enabled locales.
type Locales struct {
	Default string
	Enabled map[string]time.Time // code -> enabled at
}

// ReadLocale says which texts a read returns: Code's, falling back to Fallback's when set.
type ReadLocale struct {
	Code     string
	Fallback string
}

// Locale is an enabled locale.
type Locale struct {
	Code      string
	IsDefault bool
	CreatedAt time.Time
}

// Expand lists the relations a read embeds.
type Expand struct {
	Variants, Options, OptionValues, Channels, Collections, Medias, Category, Metafields, Metaobject bool
}

// ParseExpand reads the comma-separated expand parameter; unknown tokens are ignored.
func ParseExpand(s string) Expand {
	var e Expand
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != ',' {
			continue
		}
		switch trimSpace(s[start:i]) {
		case "variants":
			e.Variants = true
		case "options":
			e.Options = true
		case "optionValues":
			e.OptionValues = true
		case "channels":
			e.Channels = true
		case "collections":
			e.Collections = true
		case "medias":
			e.Medias = true
		case "category":
			e.Category = true
		case "metafields":
			e.Metafields = true
		case "metaobject":
			e.Metaobject = true
		}
		start = i + 1
	}
	return e
}

func trimSpace(s string) string {
	for len(s) > 0 && s[0] == ' ' {
		s = s[1:]
	}
	for len(s) > 0 && s[len(s)-1] == ' ' {
		s = s[:len(s)-1]
	}
	return s
}

// EmbedQuery asks for what a page of products lists or embeds beyond their graphs.
type EmbedQuery struct {
	Locale                                    ReadLocale
	Channels, Medias, Categories, Collections []uuid.UUID // by id
	Products                                  []uuid.UUID // whose metafields (and variants') to load
	Metaobjects                               bool        // and the metaobjects those refer to
}

// Embeds is the answer to an EmbedQuery.
type Embeds struct {
	Channels    []Channel
	Medias      []Media
	Categories  []Category
	Collections []Collection
	Metafields  []Metafield
	Metaobjects []Metaobject
}
