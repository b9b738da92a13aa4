package postgres

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/flowkiwi/platform/services/identity/internal/partner"
)

func (s *Store) CreatePartner(ctx context.Context, p partner.Partner, c partner.Client) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `insert into partners (id, name, created_at) values ($1, $2, $3)`, p.ID, p.Name, p.CreatedAt); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `insert into api_clients (client_id, partner_id, secret_hash) values ($1, $2, $3)`, c.ClientID, c.PartnerID, string(c.SecretHash))
		return err
	}))
}

func (s *Store) Client(ctx context.Context, clientID string) (partner.Client, error) {
	var c partner.Client
	var hash string
	err := s.pool.QueryRow(ctx, `select client_id, partner_id, secret_hash from api_clients where client_id = $1 and revoked_at is null`, clientID).
		Scan(&c.ClientID, &c.PartnerID, &hash)
	c.SecretHash = []byte(hash)
	return c, notFound(err, "no such client")
}

func (s *Store) Partner(ctx context.Context, id uuid.UUID) (partner.Partner, error) {
	var p partner.Partner
	err := s.pool.QueryRow(ctx, `select id, name, created_at from partners where id = $1`, id).Scan(&p.ID, &p.Name, &p.CreatedAt)
	return p, notFound(err, "no such partner")
}

func (s *Store) PartnerExists(ctx context.Context, id uuid.UUID) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `select exists(select 1 from partners where id = $1)`, id).Scan(&ok)
	return ok, wrap(err)
}
