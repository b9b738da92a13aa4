package postgres

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
)

// A product's translatable texts (catalog.ProductTexts) live in product_translations, one column
// per text named in snake_case, and in the document's texts by the same names (product_document
// takes every column of that table). The statements below are built from the field list, so a
// text added to catalog.ProductTextsOf is written and read everywhere; a column the field list
// does not know fails the document's decoding instead of reading as null.
var (
	textColumns     = snakeCase(catalog.ProductTextNames())
	textColumnIndex = indexOf(textColumns)

	// insertTextsSQL inserts the texts of many new products in one locale ($1 instance, $2 locale,
	// $3 product ids, then one text array per column). The products' rows are inserted in this
	// transaction: their created_at is now().
	insertTextsSQL = fmt.Sprintf(`insert into product_translations (instance_id, product_id, locale, product_created_at, %[1]s)
		select $1, x.product_id, $2, now(), %[2]s from unnest($3::uuid[], %[3]s) as x(product_id, %[1]s)`,
		strings.Join(textColumns, ", "), columnsOf("x.", textColumns), params(4, len(textColumns), "::text[]"))

	// upsertTextsSQL writes a product's texts in a locale ($1 instance, $2 product, $3 locale, then
	// one text per column, then per column whether it is written: the others keep their value).
	upsertTextsSQL = fmt.Sprintf(`insert into product_translations as t (instance_id, product_id, locale, product_created_at, %[1]s)
		values ($1, $2, $3, (select created_at from products where instance_id = $1 and id = $2), %[2]s)
		on conflict (instance_id, product_id, locale) do update set %[3]s`,
		strings.Join(textColumns, ", "), params(4, len(textColumns), ""), keepUnlessWritten(4+len(textColumns)))
)

// queueInsertTexts queues the insert of ps' texts in locale; products without any have no row.
func queueInsertTexts(b *pgx.Batch, instance uuid.UUID, locale string, ps []catalog.NewProduct) {
	ids := []uuid.UUID{}
	columns := make([][]*string, len(textColumns))
	for _, p := range ps {
		if !p.ProductTexts.Any() {
			continue
		}
		ids = append(ids, p.ID)
		for i, text := range p.ProductTexts.Fields() {
			columns[i] = append(columns[i], *text)
		}
	}
	if len(ids) == 0 {
		return
	}
	args := []any{instance, locale, ids}
	for _, c := range columns {
		args = append(args, c)
	}
	b.Queue(insertTextsSQL, args...)
}

// queueUpsertTexts queues a patch of a product's texts in locale; texts it leaves out keep their
// value. Nothing is queued when it changes none.
func queueUpsertTexts(b *pgx.Batch, instance, product uuid.UUID, locale string, c catalog.ProductTextChanges) {
	if !c.Present() {
		return
	}
	args := []any{instance, product, locale}
	fields := c.Fields()
	for _, f := range fields {
		args = append(args, f.Apply(nil))
	}
	for _, f := range fields {
		args = append(args, f.Present())
	}
	b.Queue(upsertTextsSQL, args...)
}

// queueReplaceTexts queues writing all of a product's texts in locale (a missing one is removed).
func queueReplaceTexts(b *pgx.Batch, instance, product uuid.UUID, locale string, t catalog.ProductTexts) {
	args := []any{instance, product, locale}
	for _, text := range t.Fields() {
		args = append(args, *text)
	}
	for range textColumns {
		args = append(args, true)
	}
	b.Queue(upsertTextsSQL, args...)
}

// documentTexts are a document's texts by locale. Decoding is strict: a key that names no field
// of catalog.ProductTexts is an error, never a text silently dropped.
type documentTexts map[string]catalog.ProductTexts

func (d *documentTexts) UnmarshalJSON(b []byte) error {
	var raw map[string]map[string]*string
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*d = make(documentTexts, len(raw))
	for locale, columns := range raw {
		var t catalog.ProductTexts
		fields := t.Fields()
		for column, text := range columns {
			i, ok := textColumnIndex[column]
			if !ok {
				return fmt.Errorf("the document's texts hold %q, which is no field of catalog.ProductTexts", column)
			}
			*fields[i] = text
		}
		(*d)[locale] = t
	}
	return nil
}

// MarshalJSON writes the texts as product_document does: by column, nulls left out.
func (d documentTexts) MarshalJSON() ([]byte, error) {
	out := make(map[string]map[string]string, len(d))
	for locale, t := range d {
		columns := map[string]string{}
		for i, text := range t.Fields() {
			if *text != nil {
				columns[textColumns[i]] = **text
			}
		}
		out[locale] = columns
	}
	return json.Marshal(out)
}

// snakeCase spells Go names as columns: SeoTitle is seo_title.
func snakeCase(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		var b strings.Builder
		for j, r := range n {
			if unicode.IsUpper(r) {
				if j > 0 {
					b.WriteByte('_')
				}
				r = unicode.ToLower(r)
			}
			b.WriteRune(r)
		}
		out[i] = b.String()
	}
	return out
}

func indexOf(names []string) map[string]int {
	m := make(map[string]int, len(names))
	for i, n := range names {
		m[n] = i
	}
	return m
}

// columnsOf is the columns, each after prefix, comma-separated.
func columnsOf(prefix string, columns []string) string {
	out := make([]string, len(columns))
	for i, c := range columns {
		out[i] = prefix + c
	}
	return strings.Join(out, ", ")
}

// params is n placeholders from $first, each followed by cast.
func params(first, n int, cast string) string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("$%d%s", first+i, cast)
	}
	return strings.Join(out, ", ")
}

// keepUnlessWritten sets each text column to the inserted value when its flag (from $first on)
// is true, else keeps the stored one.
func keepUnlessWritten(first int) string {
	out := make([]string, len(textColumns))
	for i, c := range textColumns {
		out[i] = fmt.Sprintf("%[1]s = case when $%[2]d::bool then excluded.%[1]s else t.%[1]s end", c, first+i)
	}
	return strings.Join(out, ", ")
}
