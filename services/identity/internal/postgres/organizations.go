package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/services/identity/internal/organization"
	"github.com/flowkiwi/platform/services/identity/internal/permission"
)

const orgColumns = `o.id, o.name, o.external_id, o.is_active, o.address, o.city, o.postal_code, o.country_code,
	o.email, o.phone, o.vat_number, o.website_url, o.bank_account_number, o.bank_name, o.bank_iban, o.bank_swift,
	o.version, o.created_at, o.updated_at`

func scanOrg(row pgx.Row) (organization.Organization, error) {
	var o organization.Organization
	var b organization.BankInfo
	err := row.Scan(&o.ID, &o.Name, &o.ExternalID, &o.IsActive, &o.Address, &o.City, &o.PostalCode, &o.CountryCode,
		&o.Email, &o.Phone, &o.VATNumber, &o.WebsiteURL, &b.AccountNumber, &b.BankName, &b.IBAN, &b.SWIFT,
		&o.Version, &o.CreatedAt, &o.UpdatedAt)
	if b.AccountNumber != nil || b.BankName != nil || b.IBAN != nil || b.SWIFT != nil {
		o.BankInfo = &b
	}
	return o, err
}

func orgArgs(o organization.Organization) []any {
	b := o.BankInfo
	if b == nil {
		b = &organization.BankInfo{}
	}
	return []any{o.ID, o.Name, o.ExternalID, o.IsActive, o.Address, o.City, o.PostalCode, o.CountryCode,
		o.Email, o.Phone, o.VATNumber, o.WebsiteURL, b.AccountNumber, b.BankName, b.IBAN, b.SWIFT}
}

func (s *Store) CreateOrganization(ctx context.Context, o organization.Organization, owner uuid.UUID) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		args := append(orgArgs(o), o.CreatedAt)
		if _, err := tx.Exec(ctx, `insert into organizations (id, name, external_id, is_active, address, city, postal_code,
			country_code, email, phone, vat_number, website_url, bank_account_number, bank_name, bank_iban, bank_swift,
			created_at, updated_at) values ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$17)`, args...); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `insert into memberships (organization_id, partner_id, role, created_at, updated_at) values ($1, $2, 'owner', $3, $3)`,
			o.ID, owner, o.CreatedAt)
		return err
	}))
}

func (s *Store) Organization(ctx context.Context, id uuid.UUID) (organization.Organization, error) {
	o, err := scanOrg(s.db(ctx).QueryRow(ctx, `select `+orgColumns+` from organizations o where o.id = $1`, id))
	return o, notFound(err, "no such organization")
}

var orgSorts = map[string]string{"name": "o.name", "created_at": "o.created_at", "updated_at": "o.updated_at"}

func (s *Store) ListOrganizations(ctx context.Context, q organization.ListQuery) ([]organization.Organization, int, error) {
	where := []string{"m.partner_id = $1"}
	args := []any{q.PartnerID}
	if q.Name != "" {
		args = append(args, "%"+likeEscape(q.Name)+"%")
		where = append(where, fmt.Sprintf("o.name ilike $%d", len(args)))
	}
	if q.ExternalID != nil {
		args = append(args, *q.ExternalID)
		where = append(where, fmt.Sprintf("o.external_id = $%d", len(args)))
	}
	order := orgSorts[q.SortBy]
	if order == "" {
		order = "o.created_at"
	}
	dir := "asc"
	if q.Descending {
		dir = "desc"
	}
	args = append(args, q.Page.Size, q.Page.Offset())
	// count(*) over () returns the total with the page in one round trip.
	sql := fmt.Sprintf(`select %s, count(*) over () from organizations o join memberships m on m.organization_id = o.id
		where %s order by %s %s, o.id %s limit $%d offset $%d`,
		orgColumns, strings.Join(where, " and "), order, dir, dir, len(args)-1, len(args))
	rows, err := s.db(ctx).Query(ctx, sql, args...)
	if err != nil {
		return nil, 0, wrap(err)
	}
	total := 0
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (organization.Organization, error) {
		var o organization.Organization
		var b organization.BankInfo
		err := r.Scan(&o.ID, &o.Name, &o.ExternalID, &o.IsActive, &o.Address, &o.City, &o.PostalCode, &o.CountryCode,
			&o.Email, &o.Phone, &o.VATNumber, &o.WebsiteURL, &b.AccountNumber, &b.BankName, &b.IBAN, &b.SWIFT,
			&o.Version, &o.CreatedAt, &o.UpdatedAt, &total)
		if b.AccountNumber != nil || b.BankName != nil || b.IBAN != nil || b.SWIFT != nil {
			o.BankInfo = &b
		}
		return o, err
	})
	if err != nil {
		return nil, 0, wrap(err)
	}
	if len(list) == 0 && q.Page.Offset() > 0 {
		// Past the last page: the window function saw no rows, count separately.
		err = s.db(ctx).QueryRow(ctx, `select count(*) from organizations o join memberships m on m.organization_id = o.id where `+
			strings.Join(where, " and "), args[:len(args)-2]...).Scan(&total)
	}
	return list, total, wrap(err)
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func (s *Store) UpdateOrganization(ctx context.Context, o organization.Organization, readVersion int64) (organization.Organization, error) {
	args := append(orgArgs(o), readVersion)
	row := s.db(ctx).QueryRow(ctx, `update organizations o set name=$2, external_id=$3, is_active=$4, address=$5, city=$6,
		postal_code=$7, country_code=$8, email=$9, phone=$10, vat_number=$11, website_url=$12, bank_account_number=$13,
		bank_name=$14, bank_iban=$15, bank_swift=$16, version = version + 1, updated_at = now()
		where id = $1 and version = $17 returning `+orgColumns, args...)
	updated, err := scanOrg(row)
	if err == pgx.ErrNoRows {
		return organization.Organization{}, s.versionMismatch(ctx, `select exists(select 1 from organizations where id = $1)`, o.ID, "organization")
	}
	return updated, wrap(err)
}

// versionMismatch tells a lost race (412) from a row deleted meanwhile (404).
func (s *Store) versionMismatch(ctx context.Context, existsSQL string, id uuid.UUID, what string) error {
	var exists bool
	if err := s.db(ctx).QueryRow(ctx, existsSQL, id).Scan(&exists); err != nil {
		return wrap(err)
	}
	if !exists {
		return fault.NotFound("no such %s", what)
	}
	return fault.PreconditionFailed("the %s has changed since you read it; read it again and retry", what)
}

func (s *Store) DeleteOrganization(ctx context.Context, id uuid.UUID, readVersion int64) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		var version int64
		if err := tx.QueryRow(ctx, `select version from organizations where id = $1 for update`, id).Scan(&version); err != nil {
			return notFound(err, "no such organization")
		}
		if readVersion != 0 && version != readVersion {
			return fault.PreconditionFailed("the organization has changed since you read it; read it again and retry")
		}
		var owns bool
		if err := tx.QueryRow(ctx, `select exists(select 1 from instances where organization_id = $1)`, id).Scan(&owns); err != nil {
			return err
		}
		if owns {
			return fault.Conflict("the organization still owns instances; transfer or delete them first")
		}
		_, err := tx.Exec(ctx, `delete from organizations where id = $1`, id)
		if code, _ := pgCode(err); code == codeForeignKeyViolation {
			return fault.Conflict("the organization still owns instances; transfer or delete them first")
		}
		return err
	}))
}

const memberColumns = `m.organization_id, m.partner_id, p.name, m.role, m.created_at, m.updated_at`

func scanMember(row pgx.Row) (organization.Member, error) {
	var m organization.Member
	var role string
	err := row.Scan(&m.OrganizationID, &m.PartnerID, &m.PartnerName, &role, &m.CreatedAt, &m.UpdatedAt)
	m.Role = permission.Role(role)
	return m, err
}

func (s *Store) Member(ctx context.Context, orgID, partnerID uuid.UUID) (organization.Member, error) {
	m, err := scanMember(s.db(ctx).QueryRow(ctx, `select `+memberColumns+` from memberships m join partners p on p.id = m.partner_id
		where m.organization_id = $1 and m.partner_id = $2`, orgID, partnerID))
	return m, notFound(err, "no such member")
}

func (s *Store) Members(ctx context.Context, orgID uuid.UUID, page organization.Page) ([]organization.Member, int, error) {
	var total int
	if err := s.db(ctx).QueryRow(ctx, `select count(*) from memberships where organization_id = $1`, orgID).Scan(&total); err != nil {
		return nil, 0, wrap(err)
	}
	rows, err := s.db(ctx).Query(ctx, `select `+memberColumns+` from memberships m join partners p on p.id = m.partner_id
		where m.organization_id = $1 order by m.created_at, m.partner_id limit $2 offset $3`, orgID, page.Size, page.Offset())
	if err != nil {
		return nil, 0, wrap(err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (organization.Member, error) { return scanMember(r) })
	return list, total, wrap(err)
}

var errLastOwner = fault.Conflict("an organization must keep at least one owner")

// lockOwners locks the organization row so concurrent role changes cannot both remove "the other"
// owner, then reports how many owners it has.
func lockOwners(ctx context.Context, tx pgx.Tx, orgID uuid.UUID) (int, error) {
	if _, err := tx.Exec(ctx, `select 1 from organizations where id = $1 for update`, orgID); err != nil {
		return 0, err
	}
	var owners int
	err := tx.QueryRow(ctx, `select count(*) from memberships where organization_id = $1 and role = 'owner'`, orgID).Scan(&owners)
	return owners, err
}

func (s *Store) PutMember(ctx context.Context, orgID, partnerID uuid.UUID, role permission.Role) (organization.Member, permission.Role, error) {
	var m organization.Member
	var previous permission.Role
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		owners, err := lockOwners(ctx, tx, orgID)
		if err != nil {
			return err
		}
		var current string
		err = tx.QueryRow(ctx, `select role from memberships where organization_id = $1 and partner_id = $2`, orgID, partnerID).Scan(&current)
		previous = permission.Role(current) // "" when not a member; a retried attempt decides afresh
		switch {
		case err == pgx.ErrNoRows:
			previous = ""
			_, err = tx.Exec(ctx, `insert into memberships (organization_id, partner_id, role) values ($1, $2, $3)`, orgID, partnerID, string(role))
		case err != nil:
			return err
		case current == string(permission.Owner) && role != permission.Owner && owners <= 1:
			return errLastOwner
		case current != string(role):
			_, err = tx.Exec(ctx, `update memberships set role = $3, updated_at = now() where organization_id = $1 and partner_id = $2`, orgID, partnerID, string(role))
		}
		if err != nil {
			return err
		}
		m, err = scanMember(tx.QueryRow(ctx, `select `+memberColumns+` from memberships m join partners p on p.id = m.partner_id
			where m.organization_id = $1 and m.partner_id = $2`, orgID, partnerID))
		return err
	})
	if code, _ := pgCode(err); code == codeForeignKeyViolation {
		return m, "", fault.NotFound("no such partner")
	}
	return m, previous, wrap(err)
}

func (s *Store) DeleteMember(ctx context.Context, orgID, partnerID uuid.UUID) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		owners, err := lockOwners(ctx, tx, orgID)
		if err != nil {
			return err
		}
		var role string
		if err := tx.QueryRow(ctx, `select role from memberships where organization_id = $1 and partner_id = $2`, orgID, partnerID).Scan(&role); err != nil {
			return notFound(err, "no such member")
		}
		if role == string(permission.Owner) && owners <= 1 {
			return errLastOwner
		}
		_, err = tx.Exec(ctx, `delete from memberships where organization_id = $1 and partner_id = $2`, orgID, partnerID)
		return err
	}))
}
