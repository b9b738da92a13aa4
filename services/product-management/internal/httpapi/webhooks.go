package httpapi

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"

	"github.com/flowkiwi/platform/services/product-management/internal/api"
	"github.com/flowkiwi/platform/services/product-management/internal/iri"
	"github.com/flowkiwi/platform/services/product-management/internal/render"
	"github.com/flowkiwi/platform/services/product-management/internal/webhook"
)

func renderSubscription(sub webhook.Subscription, top bool) api.WebhookSubscription {
	out := api.WebhookSubscription{LdID: iri.WebhookSubscriptions.Of(sub.ID), LdType: "WebhookSubscription", Id: sub.ID, Url: sub.URL,
		Events: sub.Events, Description: render.Text(sub.Description), Active: sub.Active, DisabledReason: render.Text(sub.DisabledReason),
		Deliveries: iri.WebhookSubscriptions.Of(sub.ID) + "/deliveries", CreatedAt: sub.CreatedAt, UpdatedAt: sub.UpdatedAt}
	if out.Events == nil {
		out.Events = []string{}
	}
	if sub.Secret != "" {
		out.Secret = &sub.Secret
	}
	if top {
		out.LdContext = render.Context("WebhookSubscription")
	}
	return out
}

func renderDelivery(d webhook.Delivery, top bool) api.WebhookDelivery {
	out := api.WebhookDelivery{LdID: iri.WebhookDeliveries.Of(d.ID), LdType: "WebhookDelivery", Id: d.ID,
		Subscription: iri.WebhookSubscriptions.Of(d.Subscription), Event: iri.Events.Of(d.Event), Status: api.WebhookDeliveryStatus(d.Status),
		NextAttemptAt: nullable.NewNullNullable[time.Time](), Attempts: make([]api.WebhookAttempt, len(d.Attempts)), CreatedAt: d.CreatedAt}
	if d.NextAttempt != nil && d.Status == webhook.Pending {
		out.NextAttemptAt = nullable.NewNullableWithValue(*d.NextAttempt)
	}
	for i, a := range d.Attempts {
		at := api.WebhookAttempt{Attempt: a.N, AttemptedAt: a.At, DurationMs: int(a.Duration.Milliseconds()), Error: render.Text(a.Error),
			ResponseExcerpt: render.Text(a.Excerpt), ResponseStatus: render.IntOrNull(a.Status)}
		out.Attempts[i] = at
	}
	if top {
		out.LdContext = render.Context("WebhookDelivery")
	}
	return out
}

func (s *Server) ListWebhookSubscriptions(ctx context.Context, req api.ListWebhookSubscriptionsRequestObject) (api.ListWebhookSubscriptionsResponseObject, error) {
	t, err := authorize(ctx, permRead)
	if err != nil {
		return nil, err
	}
	page, per := pageOf(req.Params.Page, req.Params.ItemsPerPage)
	list, total, err := s.Webhooks.Subscriptions(ctx, t.InstanceID, page, per)
	if err != nil {
		return nil, err
	}
	view := pageView(iri.WebhookSubscriptions.Path(), requestQuery(ctx), page, per, total)
	return api.ListWebhookSubscriptions200ApplicationLdPlusJSONResponse{LdContext: render.Context("WebhookSubscription"), LdID: iri.WebhookSubscriptions.Path(),
		LdType: hydraCollection, TotalItems: total, Member: members(list, renderSubscription), View: &view}, nil
}

func (s *Server) CreateWebhookSubscription(ctx context.Context, req api.CreateWebhookSubscriptionRequestObject) (api.CreateWebhookSubscriptionResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	b, err := requestBody(req.JSONBody, req.ApplicationLdPlusJSONBody)
	if err != nil {
		return nil, err
	}
	sub, err := s.Webhooks.Create(ctx, t.InstanceID, b.Url, b.Events, b.Description)
	if err != nil {
		return nil, err
	}
	location := iri.WebhookSubscriptions.Of(sub.ID)
	return api.CreateWebhookSubscription201ApplicationLdPlusJSONResponse{Body: renderSubscription(sub, true),
		Headers: api.CreateWebhookSubscription201ResponseHeaders{Location: &location}}, nil
}

func (s *Server) GetWebhookSubscription(ctx context.Context, req api.GetWebhookSubscriptionRequestObject) (api.GetWebhookSubscriptionResponseObject, error) {
	t, err := authorize(ctx, permRead)
	if err != nil {
		return nil, err
	}
	sub, err := s.Webhooks.Subscription(ctx, t.InstanceID, req.Id)
	if err != nil {
		return nil, err
	}
	return api.GetWebhookSubscription200ApplicationLdPlusJSONResponse(renderSubscription(sub, true)), nil
}

func (s *Server) UpdateWebhookSubscription(ctx context.Context, req api.UpdateWebhookSubscriptionRequestObject) (api.UpdateWebhookSubscriptionResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	b := req.Body
	sub, err := s.Webhooks.Update(ctx, t.InstanceID, req.Id, webhook.SubscriptionChanges{URL: b.Url, Events: b.Events,
		Description: textPatch(b.Description), Active: b.Active})
	if err != nil {
		return nil, err
	}
	return api.UpdateWebhookSubscription200ApplicationLdPlusJSONResponse(renderSubscription(sub, true)), nil
}

func (s *Server) DeleteWebhookSubscription(ctx context.Context, req api.DeleteWebhookSubscriptionRequestObject) (api.DeleteWebhookSubscriptionResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	if err := s.Webhooks.Delete(ctx, t.InstanceID, req.Id); err != nil {
		return nil, err
	}
	return api.DeleteWebhookSubscription204Response{}, nil
}

func (s *Server) ListWebhookDeliveries(ctx context.Context, req api.ListWebhookDeliveriesRequestObject) (api.ListWebhookDeliveriesResponseObject, error) {
	t, err := authorize(ctx, permRead)
	if err != nil {
		return nil, err
	}
	page, per := pageOf(req.Params.Page, req.Params.ItemsPerPage)
	list, total, err := s.Webhooks.Deliveries(ctx, t.InstanceID, req.Id, page, per)
	if err != nil {
		return nil, err
	}
	path := iri.WebhookSubscriptions.Of(req.Id) + "/deliveries"
	view := pageView(path, requestQuery(ctx), page, per, total)
	return api.ListWebhookDeliveries200ApplicationLdPlusJSONResponse{LdContext: render.Context("WebhookDelivery"), LdID: path,
		LdType: hydraCollection, TotalItems: total, Member: members(list, renderDelivery), View: &view}, nil
}

func (s *Server) ResendWebhookEvent(ctx context.Context, req api.ResendWebhookEventRequestObject) (api.ResendWebhookEventResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	b, err := requestBody(req.JSONBody, req.ApplicationLdPlusJSONBody)
	if err != nil {
		return nil, err
	}
	ref := strings.TrimSpace(b.Event)
	event, ok := iri.Events.Parse(ref)
	if !ok {
		event, err = uuid.Parse(ref) // Resend reports an unknown id at "event"
		if err != nil {
			event = uuid.Nil
		}
	}
	d, err := s.Webhooks.Resend(ctx, t.InstanceID, req.Id, event)
	if err != nil {
		return nil, err
	}
	location := iri.WebhookDeliveries.Of(d.ID)
	return api.ResendWebhookEvent201ApplicationLdPlusJSONResponse{Body: renderDelivery(d, true),
		Headers: api.ResendWebhookEvent201ResponseHeaders{Location: &location}}, nil
}

func (s *Server) GetWebhookDelivery(ctx context.Context, req api.GetWebhookDeliveryRequestObject) (api.GetWebhookDeliveryResponseObject, error) {
	t, err := authorize(ctx, permRead)
	if err != nil {
		return nil, err
	}
	d, err := s.Webhooks.Delivery(ctx, t.InstanceID, req.Id)
	if err != nil {
		return nil, err
	}
	return api.GetWebhookDelivery200ApplicationLdPlusJSONResponse(renderDelivery(d, true)), nil
}
