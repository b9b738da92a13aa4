package postgres

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
)

// Changes to a product's options lock the product row, so they are applied one at a time per
// product and each sees the variants as they are.
func lockProduct(ctx context.Context, tx pgx.Tx, instance, product uuid.UUID) error {
	var one int
	err := tx.QueryRow(ctx, `select 1 from products where instance_id = $1 and id = $2 for update`, instance, product).Scan(&one)
	return notFound(err, "product")
}

// touchProduct records a write to a product's graph: a new version and update time.
const touchProduct = `update products set version = version + 1, updated_at = now() where instance_id = $1 and id = $2`

// recombine recomputes the combination keys of a product's variants from their values.
const recombine = `update variants v set combination = coalesce((
		select string_agg(x.option_value_id::text, ',' order by x.option_value_id::text collate "C")
		from variant_option_values x where x.instance_id = v.instance_id and x.variant_id = v.id), ''),
		version = version + 1, updated_at = now()
	where v.instance_id = $1 and v.product_id = $2`

// AddOption stores a new option with its values; the product's variants take its first value.
func (s *Store) AddOption(ctx context.Context, instance uuid.UUID, locale string, o catalog.Option) error {
	return wrap(conflictError(s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockProduct(ctx, tx, instance, o.ProductID); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `select count(*) from product_options where instance_id = $1 and product_id = $2`, instance, o.ProductID).Scan(&n); err != nil {
			return err
		}
		if n >= catalog.MaxOptions {
			return fault.Invalid("", "too_many_options", fmt.Sprintf("a product may have at most %d options", catalog.MaxOptions))
		}
		b := &pgx.Batch{}
		b.Queue(`insert into product_options (instance_id, id, product_id, position) values ($1, $2, $3, $4)`, instance, o.ID, o.ProductID, o.Position)
		b.Queue(`insert into product_option_translations (instance_id, option_id, locale, name) values ($1, $2, $3, $4)`, instance, o.ID, locale, o.Name)
		queueOptionValues(b, instance, locale, o.Values)
		b.Queue(`insert into variant_option_values (instance_id, variant_id, option_value_id, product_id)
			select $1, v.id, $3, $2 from variants v where v.instance_id = $1 and v.product_id = $2`, instance, o.ProductID, o.Values[0].ID)
		b.Queue(recombine, instance, o.ProductID)
		b.Queue(touchProduct, instance, o.ProductID)
		return tx.SendBatch(ctx, b).Close()
	})))
}

// queueOptionValues inserts option values with their labels in locale.
func queueOptionValues(b *pgx.Batch, instance uuid.UUID, locale string, values []catalog.OptionValue) {
	n := len(values)
	ids, options, products, pos, labels := make([]uuid.UUID, n), make([]uuid.UUID, n), make([]uuid.UUID, n), make([]int32, n), make([]string, n)
	for i, v := range values {
		ids[i], options[i], products[i], pos[i], labels[i] = v.ID, v.OptionID, v.ProductID, int32(v.Position), *v.Value
	}
	b.Queue(`insert into option_values (instance_id, id, option_id, product_id, position) select $1, * from unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::int[])`,
		instance, ids, options, products, pos)
	b.Queue(`insert into option_value_translations (instance_id, value_id, locale, value) select $1, id, $2, value from unnest($3::uuid[], $4::text[]) as x(id, value)`,
		instance, locale, ids, labels)
}

// AddOptionValue stores a new value of an option.
func (s *Store) AddOptionValue(ctx context.Context, instance uuid.UUID, locale string, v catalog.OptionValue) error {
	return wrap(conflictError(s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockProduct(ctx, tx, instance, v.ProductID); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `select count(*) from option_values where instance_id = $1 and option_id = $2`, instance, v.OptionID).Scan(&n); err != nil {
			return err
		}
		if n >= catalog.MaxValuesPerOption {
			return fault.Invalid("", "too_many_values", fmt.Sprintf("an option may have at most %d values", catalog.MaxValuesPerOption))
		}
		b := &pgx.Batch{}
		queueOptionValues(b, instance, locale, []catalog.OptionValue{v})
		b.Queue(touchProduct, instance, v.ProductID)
		return tx.SendBatch(ctx, b).Close()
	})))
}

// DeleteOption removes an option the product's variants do not differ by; they lose its value.
func (s *Store) DeleteOption(ctx context.Context, instance, id uuid.UUID) error {
	product, err := s.OptionProduct(ctx, instance, id)
	if err != nil {
		return err
	}
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockProduct(ctx, tx, instance, product); err != nil {
			return err
		}
		var used int
		err := tx.QueryRow(ctx, `select count(distinct x.option_value_id) from variant_option_values x
			join option_values v on v.instance_id = x.instance_id and v.id = x.option_value_id
			where x.instance_id = $1 and v.option_id = $2`, instance, id).Scan(&used)
		if err != nil {
			return err
		}
		if used > 1 {
			return fault.Conflict("the product's variants differ by this option (%d of its values are in use); delete or change those variants first", used)
		}
		b := &pgx.Batch{}
		b.Queue(`delete from variant_option_values x using option_values v
			where x.instance_id = $1 and v.instance_id = $1 and v.id = x.option_value_id and v.option_id = $2`, instance, id)
		b.Queue(`delete from product_options where instance_id = $1 and id = $2`, instance, id)
		b.Queue(recombine, instance, product)
		b.Queue(touchProduct, instance, product)
		return tx.SendBatch(ctx, b).Close()
	}))
}

// DeleteOptionValue removes a value no variant uses; an option keeps at least one.
func (s *Store) DeleteOptionValue(ctx context.Context, instance, id uuid.UUID) error {
	product, err := s.OptionValueProduct(ctx, instance, id)
	if err != nil {
		return err
	}
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockProduct(ctx, tx, instance, product); err != nil {
			return err
		}
		var users, siblings int
		err := tx.QueryRow(ctx, `select
				(select count(*) from variant_option_values where instance_id = $1 and option_value_id = $2),
				(select count(*) from option_values o where o.instance_id = $1 and o.option_id = v.option_id)
			from option_values v where v.instance_id = $1 and v.id = $2`, instance, id).Scan(&users, &siblings)
		if err != nil {
			return notFound(err, "option value")
		}
		switch {
		case users > 0:
			return fault.Conflict("%d variant(s) use this value; delete them or give them another value first", users)
		case siblings == 1:
			return fault.Conflict("an option keeps at least one value; delete the option instead")
		}
		b := &pgx.Batch{}
		// The option's row is written too: its values changed, and the change path gives every
		// row it wrote an event (catalog/implied.go).
		b.Queue(`update product_options o set position = o.position from option_values v
			where v.instance_id = $1 and v.id = $2 and o.instance_id = $1 and o.id = v.option_id`, instance, id)
		b.Queue(`delete from option_values where instance_id = $1 and id = $2`, instance, id)
		b.Queue(touchProduct, instance, product)
		return tx.SendBatch(ctx, b).Close()
	}))
}

func (s *Store) OptionProduct(ctx context.Context, instance, id uuid.UUID) (uuid.UUID, error) {
	return s.owner(ctx, `select product_id from product_options where instance_id = $1 and id = $2`, instance, id, "product option")
}

func (s *Store) OptionValueProduct(ctx context.Context, instance, id uuid.UUID) (uuid.UUID, error) {
	return s.owner(ctx, `select product_id from option_values where instance_id = $1 and id = $2`, instance, id, "option value")
}

// labeled is a positioned row with a translatable label: a product option or an option value.
type labeled struct {
	table, what                   string // the rows, and their name in a not-found
	translations, key, labelField string // the label's table, its foreign key, its column
}

func (s *Store) UpdateOption(ctx context.Context, instance, id uuid.UUID, locale string, name *string, position *int) error {
	return s.updateLabeled(ctx, labeled{"product_options", "product option", "product_option_translations", "option_id", "name"}, instance, id, locale, name, position)
}

func (s *Store) UpdateOptionValue(ctx context.Context, instance, id uuid.UUID, locale string, value *string, position *int) error {
	return s.updateLabeled(ctx, labeled{"option_values", "option value", "option_value_translations", "value_id", "value"}, instance, id, locale, value, position)
}

// updateLabeled moves a row of l and sets its label in locale (nil: unchanged); the product's
// graph changes with it.
func (s *Store) updateLabeled(ctx context.Context, l labeled, instance, id uuid.UUID, locale string, label *string, position *int) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		var product uuid.UUID
		err := tx.QueryRow(ctx, `update `+l.table+` set position = coalesce($3, position) where instance_id = $1 and id = $2 returning product_id`,
			instance, id, position).Scan(&product)
		if err != nil {
			return notFound(err, l.what)
		}
		if _, err := tx.Exec(ctx, touchProduct, instance, product); err != nil {
			return err
		}
		if position != nil && l.table == "product_options" {
			// A variant lists its option values in option order: moving an option changes every
			// variant's representation (and so its ETag).
			if _, err := tx.Exec(ctx, `update variants set version = version + 1, updated_at = now() where instance_id = $1 and product_id = $2`, instance, product); err != nil {
				return err
			}
		}
		if label == nil {
			return nil
		}
		_, err = tx.Exec(ctx, `insert into `+l.translations+` (instance_id, `+l.key+`, locale, `+l.labelField+`) values ($1, $2, $3, $4)
			on conflict (instance_id, `+l.key+`, locale) do update set `+l.labelField+` = excluded.`+l.labelField, instance, id, locale, *label)
		return err
	}))
}
