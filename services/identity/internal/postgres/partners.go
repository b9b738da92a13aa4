package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/services/identity/internal/partner"
)

const clientColumns = `c.client_id, c.partner_id, c.name, c.created_at, c.last_used_at, c.secret_hash,
	c.previous_secret_hash, c.previous_secret_expires_at, p.disabled_at is not null, c.scopes`

func scanClient(row pgx.Row) (partner.Client, error) {
	var c partner.Client
	var hash string
	var prev *string
	err := row.Scan(&c.ClientID, &c.PartnerID, &c.Name, &c.CreatedAt, &c.LastUsedAt, &hash, &prev, &c.PreviousSecretExpiresAt, &c.PartnerDisabled, &c.Scopes)
	c.SecretHash = []byte(hash)
	if prev != nil {
		c.PreviousSecretHash = []byte(*prev)
	}
	return c, err
}

func insertEvent(ctx context.Context, tx pgx.Tx, e partner.Event) error {
	var actor *uuid.UUID
	if e.Actor.PartnerID != uuid.Nil {
		actor = &e.Actor.PartnerID
	}
	_, err := tx.Exec(ctx, `insert into credential_events (id, partner_id, client_id, type, actor_type, actor_id, detail, occurred_at)
		values ($1, $2, $3, $4, $5, $6, $7, $8)`, e.ID, e.PartnerID, e.ClientID, string(e.Type), e.Actor.Type(), actor, e.Detail, e.OccurredAt)
	if err != nil {
		return err
	}
	if c, ok := credentialChange(e); ok {
		return insertServiceChanges(ctx, tx, []serviceChange{c})
	}
	return nil
}

func insertClient(ctx context.Context, tx pgx.Tx, c partner.Client) error {
	scopes := c.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	_, err := tx.Exec(ctx, `insert into api_clients (client_id, partner_id, name, secret_hash, created_at, scopes) values ($1, $2, $3, $4, $5, $6)`,
		c.ClientID, c.PartnerID, c.Name, string(c.SecretHash), c.CreatedAt, scopes)
	return err
}

func (s *Store) CreatePartner(ctx context.Context, p partner.Partner, c partner.Client, e partner.Event) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `insert into partners (id, name, created_at) values ($1, $2, $3)`, p.ID, p.Name, p.CreatedAt); err != nil {
			return err
		}
		if err := insertClient(ctx, tx, c); err != nil {
			return err
		}
		return insertEvent(ctx, tx, e)
	}))
}

func (s *Store) Client(ctx context.Context, clientID string) (partner.Client, error) {
	c, err := scanClient(s.db(ctx).QueryRow(ctx, `select `+clientColumns+` from api_clients c join partners p on p.id = c.partner_id
		where c.client_id = $1 and c.revoked_at is null`, clientID))
	return c, notFound(err, "no such client")
}

func (s *Store) Clients(ctx context.Context, partnerID uuid.UUID) ([]partner.Client, error) {
	rows, err := s.db(ctx).Query(ctx, `select `+clientColumns+` from api_clients c join partners p on p.id = c.partner_id
		where c.partner_id = $1 and c.revoked_at is null order by c.created_at, c.client_id`, partnerID)
	if err != nil {
		return nil, wrap(err)
	}
	defer rows.Close()
	var out []partner.Client
	for rows.Next() {
		c, err := scanClient(rows)
		if err != nil {
			return nil, wrap(err)
		}
		out = append(out, c)
	}
	return out, wrap(rows.Err())
}

func (s *Store) AddClient(ctx context.Context, c partner.Client, e partner.Event) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		if err := insertClient(ctx, tx, c); err != nil {
			return err
		}
		return insertEvent(ctx, tx, e)
	}))
}

// changeClient runs change on an active client of partnerID (locked) and records e; another
// partner's or a revoked client is not found.
func (s *Store) changeClient(ctx context.Context, partnerID uuid.UUID, clientID string, e partner.Event, change func(tx pgx.Tx) error) (partner.Client, error) {
	var out partner.Client
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `select 1 from api_clients where client_id = $1 and partner_id = $2 and revoked_at is null for update`,
			clientID, partnerID).Scan(&one); err != nil {
			return notFound(err, "no such client")
		}
		if err := change(tx); err != nil {
			return err
		}
		if err := insertEvent(ctx, tx, e); err != nil {
			return err
		}
		var err error
		out, err = scanClient(tx.QueryRow(ctx, `select `+clientColumns+` from api_clients c join partners p on p.id = c.partner_id where c.client_id = $1`, clientID))
		return err
	})
	return out, wrap(err)
}

func (s *Store) RenameClient(ctx context.Context, partnerID uuid.UUID, clientID, name string, e partner.Event) (partner.Client, error) {
	return s.changeClient(ctx, partnerID, clientID, e, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `update api_clients set name = $2 where client_id = $1`, clientID, name)
		return err
	})
}

func (s *Store) RotateSecret(ctx context.Context, partnerID uuid.UUID, clientID string, hash []byte, previousUntil *time.Time, e partner.Event) (partner.Client, error) {
	return s.changeClient(ctx, partnerID, clientID, e, func(tx pgx.Tx) error {
		// The current secret becomes the previous one (ending any older previous secret at once).
		_, err := tx.Exec(ctx, `update api_clients set
				previous_secret_hash = case when $3::timestamptz is null then null else secret_hash end,
				previous_secret_expires_at = $3, secret_hash = $2
			where client_id = $1`, clientID, string(hash), previousUntil)
		return err
	})
}

func (s *Store) RevokeClient(ctx context.Context, partnerID uuid.UUID, clientID string, e partner.Event) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		// Locking the partner serialises concurrent revocations of its last two clients.
		var disabled bool
		if err := tx.QueryRow(ctx, `select disabled_at is not null from partners where id = $1 for update`, partnerID).Scan(&disabled); err != nil {
			return notFound(err, "no such client")
		}
		var active int
		var mine bool
		if err := tx.QueryRow(ctx, `select count(*), bool_or(client_id = $2) from api_clients where partner_id = $1 and revoked_at is null`,
			partnerID, clientID).Scan(&active, &mine); err != nil {
			return err
		}
		if !mine {
			return fault.NotFound("no such client")
		}
		if active <= 1 && !disabled {
			return partner.ErrLastClient
		}
		if _, err := tx.Exec(ctx, `update api_clients set revoked_at = now(), previous_secret_hash = null, previous_secret_expires_at = null
			where client_id = $1`, clientID); err != nil {
			return err
		}
		return insertEvent(ctx, tx, e)
	}))
}

func (s *Store) TouchClient(ctx context.Context, clientID string) error {
	_, err := s.db(ctx).Exec(ctx, `update api_clients set last_used_at = date_trunc('minute', now())
		where client_id = $1 and (last_used_at is null or last_used_at < date_trunc('minute', now()))`, clientID)
	return wrap(err)
}

func (s *Store) ClientActive(ctx context.Context, partnerID uuid.UUID, clientID string) (bool, error) {
	var ok bool
	err := s.db(ctx).QueryRow(ctx, `select exists(select 1 from api_clients c join partners p on p.id = c.partner_id
		where c.client_id = $1 and c.partner_id = $2 and c.revoked_at is null and p.disabled_at is null)`, clientID, partnerID).Scan(&ok)
	return ok, wrap(err)
}

const partnerColumns = `p.id, p.name, p.created_at, p.disabled_at, p.disabled_reason,
	(select count(*) from api_clients c where c.partner_id = p.id and c.revoked_at is null)`

func scanPartner(row pgx.Row) (partner.Partner, error) {
	var p partner.Partner
	err := row.Scan(&p.ID, &p.Name, &p.CreatedAt, &p.DisabledAt, &p.DisabledReason, &p.ActiveClients)
	return p, err
}

func (s *Store) Partner(ctx context.Context, id uuid.UUID) (partner.Partner, error) {
	p, err := scanPartner(s.db(ctx).QueryRow(ctx, `select `+partnerColumns+` from partners p where p.id = $1`, id))
	return p, notFound(err, "no such partner")
}

func (s *Store) Partners(ctx context.Context) ([]partner.Partner, error) {
	rows, err := s.db(ctx).Query(ctx, `select `+partnerColumns+` from partners p order by p.created_at, p.id`)
	if err != nil {
		return nil, wrap(err)
	}
	defer rows.Close()
	var out []partner.Partner
	for rows.Next() {
		p, err := scanPartner(rows)
		if err != nil {
			return nil, wrap(err)
		}
		out = append(out, p)
	}
	return out, wrap(rows.Err())
}

func (s *Store) SetPartnerDisabled(ctx context.Context, id uuid.UUID, at *time.Time, reason *string, e partner.Event) (partner.Partner, error) {
	var out partner.Partner
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `update partners set disabled_at = $2, disabled_reason = $3 where id = $1`, id, at, reason)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fault.NotFound("no such partner")
		}
		if err := insertEvent(ctx, tx, e); err != nil {
			return err
		}
		out, err = scanPartner(tx.QueryRow(ctx, `select `+partnerColumns+` from partners p where p.id = $1`, id))
		return err
	})
	return out, wrap(err)
}

func (s *Store) Events(ctx context.Context, partnerID uuid.UUID, pg partner.Page) ([]partner.Event, int, error) {
	rows, err := s.db(ctx).Query(ctx, `select id, partner_id, type, client_id, actor_id, detail, occurred_at, count(*) over ()
		from credential_events where partner_id = $1 order by occurred_at desc, id desc limit $2 offset $3`,
		partnerID, pg.Size, (pg.Number-1)*pg.Size)
	if err != nil {
		return nil, 0, wrap(err)
	}
	defer rows.Close()
	var out []partner.Event
	total := 0
	for rows.Next() {
		var e partner.Event
		var typ string
		var actor *uuid.UUID
		if err := rows.Scan(&e.ID, &e.PartnerID, &typ, &e.ClientID, &actor, &e.Detail, &e.OccurredAt, &total); err != nil {
			return nil, 0, wrap(err)
		}
		e.Type = partner.EventType(typ)
		if actor != nil {
			e.Actor.PartnerID = *actor
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, wrap(err)
	}
	if len(out) == 0 && pg.Number > 1 { // past the end: the count still matters for paging
		if err := s.db(ctx).QueryRow(ctx, `select count(*) from credential_events where partner_id = $1`, partnerID).Scan(&total); err != nil {
			return nil, 0, wrap(err)
		}
	}
	return out, total, nil
}

func (s *Store) PartnerExists(ctx context.Context, id uuid.UUID) (bool, error) {
	var ok bool
	err := s.db(ctx).QueryRow(ctx, `select exists(select 1 from partners where id = $1)`, id).Scan(&ok)
	return ok, wrap(err)
}
