package httpapi

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"

	"github.com/flowkiwi/platform/services/identity/internal/api"
	"github.com/flowkiwi/platform/services/identity/internal/partner"
)

// GetCurrentPartner returns the caller.
func (s *Server) GetCurrentPartner(ctx context.Context, _ api.GetCurrentPartnerRequestObject) (api.GetCurrentPartnerResponseObject, error) {
	id, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	p, err := s.Partners.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	return api.GetCurrentPartner200JSONResponse{Id: p.ID, Name: p.Name, CreatedAt: p.CreatedAt}, nil
}

func toClient(c partner.Client) api.ApiClient {
	return api.ApiClient{ClientId: c.ClientID, Name: c.Name, CreatedAt: c.CreatedAt,
		LastUsedAt: optionalTime(c.LastUsedAt), PreviousSecretExpiresAt: optionalTime(c.PreviousSecretExpiresAt)}
}

func toSecret(i partner.Issued) api.ApiClientSecret {
	c := toClient(i.Client)
	return api.ApiClientSecret{ClientId: c.ClientId, Name: c.Name, CreatedAt: c.CreatedAt, LastUsedAt: c.LastUsedAt,
		PreviousSecretExpiresAt: c.PreviousSecretExpiresAt, ClientSecret: i.Secret}
}

func optionalTime(t *time.Time) nullable.Nullable[time.Time] {
	if t == nil {
		return nullable.NewNullNullable[time.Time]()
	}
	return nullable.NewNullableWithValue(*t)
}

// ListApiClients lists the caller's active clients.
func (s *Server) ListApiClients(ctx context.Context, _ api.ListApiClientsRequestObject) (api.ListApiClientsResponseObject, error) {
	id, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	list, err := s.Partners.Clients(ctx, id)
	if err != nil {
		return nil, err
	}
	out := api.ListApiClients200JSONResponse{Items: make([]api.ApiClient, len(list))}
	for i, c := range list {
		out.Items[i] = toClient(c)
	}
	return out, nil
}

// CreateApiClient gives the caller another client.
func (s *Server) CreateApiClient(ctx context.Context, req api.CreateApiClientRequestObject) (api.CreateApiClientResponseObject, error) {
	id, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	issued, err := s.Partners.AddClient(ctx, id, req.Body.Name, partner.Actor{PartnerID: id})
	if err != nil {
		return nil, err
	}
	return api.CreateApiClient201JSONResponse{Body: toSecret(issued), Headers: api.CreateApiClient201ResponseHeaders{CacheControl: ptrTo("no-store")}}, nil
}

// GetApiClient returns one of the caller's clients.
func (s *Server) GetApiClient(ctx context.Context, req api.GetApiClientRequestObject) (api.GetApiClientResponseObject, error) {
	id, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	c, err := s.Partners.Client(ctx, id, req.ClientId)
	if err != nil {
		return nil, err
	}
	return api.GetApiClient200JSONResponse(toClient(c)), nil
}

// UpdateApiClient renames one of the caller's clients.
func (s *Server) UpdateApiClient(ctx context.Context, req api.UpdateApiClientRequestObject) (api.UpdateApiClientResponseObject, error) {
	id, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	var c partner.Client
	if req.Body.Name == nil { // an empty merge patch changes nothing
		c, err = s.Partners.Client(ctx, id, req.ClientId)
	} else {
		c, err = s.Partners.RenameClient(ctx, id, req.ClientId, *req.Body.Name, partner.Actor{PartnerID: id})
	}
	if err != nil {
		return nil, err
	}
	return api.UpdateApiClient200JSONResponse(toClient(c)), nil
}

// RevokeApiClient ends one of the caller's clients.
func (s *Server) RevokeApiClient(ctx context.Context, req api.RevokeApiClientRequestObject) (api.RevokeApiClientResponseObject, error) {
	id, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.Partners.Revoke(ctx, id, req.ClientId, partner.Actor{PartnerID: id}); err != nil {
		return nil, err
	}
	return api.RevokeApiClient204Response{}, nil
}

// RotateApiClientSecret rolls a client's secret with an overlap.
func (s *Server) RotateApiClientSecret(ctx context.Context, req api.RotateApiClientSecretRequestObject) (api.RotateApiClientSecretResponseObject, error) {
	id, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	overlap := 24 * time.Hour
	if req.Body != nil && req.Body.PreviousSecretExpiresIn != nil {
		overlap = time.Duration(*req.Body.PreviousSecretExpiresIn) * time.Second
	}
	issued, err := s.Partners.Rotate(ctx, id, req.ClientId, overlap, partner.Actor{PartnerID: id})
	if err != nil {
		return nil, err
	}
	return api.RotateApiClientSecret200JSONResponse{Body: toSecret(issued), Headers: api.RotateApiClientSecret200ResponseHeaders{CacheControl: ptrTo("no-store")}}, nil
}

// ListCredentialEvents pages through the caller's credential history.
func (s *Server) ListCredentialEvents(ctx context.Context, req api.ListCredentialEventsRequestObject) (api.ListCredentialEventsResponseObject, error) {
	id, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	pg := page(req.Params.PageNumber, req.Params.PageSize)
	list, total, err := s.Partners.Events(ctx, id, partner.Page{Number: pg.Number, Size: pg.Size})
	if err != nil {
		return nil, err
	}
	out := api.ListCredentialEvents200JSONResponse{Items: make([]api.CredentialEvent, len(list)), Paging: paging(pg, total)}
	for i, e := range list {
		ev := api.CredentialEvent{Id: e.ID, Type: api.CredentialEventType(e.Type), ActorType: api.CredentialEventActorType(e.Actor.Type()),
			OccurredAt: e.OccurredAt, Detail: e.Detail, ClientId: nullable.NewNullNullable[string](), ActorId: nullable.NewNullNullable[uuid.UUID]()}
		if e.ClientID != nil {
			ev.ClientId = nullable.NewNullableWithValue(*e.ClientID)
		}
		if e.Actor.PartnerID != uuid.Nil {
			ev.ActorId = nullable.NewNullableWithValue(e.Actor.PartnerID)
		}
		out.Items[i] = ev
	}
	return out, nil
}
