-- migrate:up
-- A booking's full story for ops (api.ops_booking_story) lists the Stripe
-- events about its PaymentIntent: the intent's own events carry it as
-- data.object.id, its charges' and refunds' as data.object.payment_intent.
-- Without this index each story would read every stored event.
create index stripe_events_payment_intent_idx on app.stripe_events (
    (coalesce(payload #>> '{data,object,payment_intent}', payload #>> '{data,object,id}'))
);

-- migrate:down
drop index app.stripe_events_payment_intent_idx;
