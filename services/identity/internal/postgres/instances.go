package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/services/identity/internal/instance"
	"github.com/flowkiwi/platform/services/identity/internal/permission"
)

const instanceColumns = `i.id, i.name, i.handle, i.organization_id, i.created_by_organization_id, i.ownership_version,
	i.version, i.created_at, i.updated_at`

func scanInstance(row pgx.Row, extra ...any) (instance.Instance, error) {
	var in instance.Instance
	dest := append([]any{&in.ID, &in.Name, &in.Handle, &in.OrganizationID, &in.CreatedByOrganizationID,
		&in.OwnershipVersion, &in.Version, &in.CreatedAt, &in.UpdatedAt}, extra...)
	return in, row.Scan(dest...)
}

var errNoInstance = "no such instance"

// CreateInstance reserves the handle for ever, then creates the instance. The handle's primary key
// makes concurrent creates of one handle race safely: exactly one insert wins.
func (s *Store) CreateInstance(ctx context.Context, in instance.Instance) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `insert into handles (handle, instance_id) values ($1, $2) on conflict (handle) do nothing`, in.Handle, in.ID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fault.Conflict("the handle %q is already taken (handles are never reused)", in.Handle)
		}
		_, err = tx.Exec(ctx, `insert into instances (id, name, handle, organization_id, created_by_organization_id,
			ownership_version, version, created_at, updated_at) values ($1, $2, $3, $4, $5, 1, 1, $6, $6)`,
			in.ID, in.Name, in.Handle, in.OrganizationID, in.CreatedByOrganizationID, in.CreatedAt)
		return err
	})
	if code, _ := pgCode(err); code == codeUniqueViolation {
		return fault.Conflict("the handle %q is already taken (handles are never reused)", in.Handle)
	}
	return wrap(err)
}

func (s *Store) Instance(ctx context.Context, orgID, id uuid.UUID) (instance.Instance, error) {
	in, err := scanInstance(s.db(ctx).QueryRow(ctx, `select `+instanceColumns+` from instances i where i.id = $1 and i.organization_id = $2`, id, orgID))
	return in, notFound(err, errNoInstance)
}

var instanceSorts = map[string]string{"name": "i.name", "handle": "i.handle", "created_at": "i.created_at", "updated_at": "i.updated_at"}

func (s *Store) ListInstances(ctx context.Context, q instance.ListQuery) ([]instance.Instance, int, error) {
	order := instanceSorts[q.SortBy]
	if order == "" {
		order = "i.created_at"
	}
	dir := "asc"
	if q.Descending {
		dir = "desc"
	}
	var total int
	if err := s.db(ctx).QueryRow(ctx, `select count(*) from instances where organization_id = $1`, q.OrganizationID).Scan(&total); err != nil {
		return nil, 0, wrap(err)
	}
	rows, err := s.db(ctx).Query(ctx, fmt.Sprintf(`select %s from instances i where i.organization_id = $1
		order by %s %s, i.id %s limit $2 offset $3`, instanceColumns, order, dir, dir), q.OrganizationID, q.Page.Size, q.Page.Offset())
	if err != nil {
		return nil, 0, wrap(err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (instance.Instance, error) { return scanInstance(r) })
	return list, total, wrap(err)
}

func (s *Store) RenameInstance(ctx context.Context, orgID, id uuid.UUID, name string, readVersion int64) (instance.Instance, error) {
	in, err := scanInstance(s.db(ctx).QueryRow(ctx, `update instances i set name = $3, version = version + 1, updated_at = now()
		where i.id = $1 and i.organization_id = $2 and i.version = $4 returning `+instanceColumns, id, orgID, name, readVersion))
	if errors.Is(err, pgx.ErrNoRows) {
		return instance.Instance{}, s.instanceMismatch(ctx, orgID, id)
	}
	return in, wrap(err)
}

func (s *Store) instanceMismatch(ctx context.Context, orgID, id uuid.UUID) error {
	var exists bool
	if err := s.db(ctx).QueryRow(ctx, `select exists(select 1 from instances where id = $1 and organization_id = $2)`, id, orgID).Scan(&exists); err != nil {
		return wrap(err)
	}
	if !exists {
		return fault.NotFound("%s", errNoInstance)
	}
	return fault.PreconditionFailed("the instance has changed since you read it; read it again and retry")
}

func (s *Store) DeleteInstance(ctx context.Context, orgID, id uuid.UUID, readVersion int64) error {
	tag, err := s.db(ctx).Exec(ctx, `delete from instances where id = $1 and organization_id = $2 and ($3 = 0 or version = $3)`, id, orgID, readVersion)
	if err != nil {
		return wrap(err)
	}
	if tag.RowsAffected() == 0 {
		return s.instanceMismatch(ctx, orgID, id)
	}
	return nil
}

// TransferInstance moves ownership and records it in one transaction; the row lock makes two
// concurrent transfers of one instance apply one after the other, the second seeing the new owner.
func (s *Store) TransferInstance(ctx context.Context, orgID, id, to, by uuid.UUID) (instance.Instance, error) {
	var out instance.Instance
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = scanInstance(tx.QueryRow(ctx, `update instances i set organization_id = $3, ownership_version = ownership_version + 1,
			version = version + 1, updated_at = now() where i.id = $1 and i.organization_id = $2 returning `+instanceColumns, id, orgID, to))
		if err != nil {
			return notFound(err, errNoInstance)
		}
		tid, err := uuid.NewV7()
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `insert into instance_transfers (id, instance_id, from_organization_id, to_organization_id, transferred_by,
			transferred_at, ownership_version) values ($1, $2, $3, $4, $5, $6, $7)`, tid, id, orgID, to, by, out.UpdatedAt, out.OwnershipVersion)
		return err
	})
	if code, _ := pgCode(err); code == codeForeignKeyViolation {
		return instance.Instance{}, fault.Invalid("target_organization_id", "not_found", "the target organization no longer exists")
	}
	return out, wrap(err)
}

func (s *Store) Transfers(ctx context.Context, instanceID uuid.UUID) ([]instance.Transfer, error) {
	rows, err := s.db(ctx).Query(ctx, `select id, instance_id, from_organization_id, to_organization_id, transferred_by, transferred_at,
		ownership_version from instance_transfers where instance_id = $1 order by transferred_at, ownership_version`, instanceID)
	if err != nil {
		return nil, wrap(err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (instance.Transfer, error) {
		var t instance.Transfer
		err := r.Scan(&t.ID, &t.InstanceID, &t.From, &t.To, &t.By, &t.At, &t.OwnershipVersion)
		return t, err
	})
	return list, wrap(err)
}

// Access answers the product services' question in one indexed query.
func (s *Store) Access(ctx context.Context, handle string, orgID, partnerID uuid.UUID) (instance.Instance, permission.Role, error) {
	var role string
	in, err := scanInstance(s.db(ctx).QueryRow(ctx, `select `+instanceColumns+`, m.role from instances i
		join memberships m on m.organization_id = i.organization_id and m.partner_id = $3
		where i.handle = $1 and i.organization_id = $2`, handle, orgID, partnerID), &role)
	return in, permission.Role(role), notFound(err, errNoInstance)
}
