// bookiji's additions to localstripe's Stripe.js stand-in (development tooling only,
// appended to localstripe-v3.js by bookiji/services.py; docs/web.md). They make the
// stand-in behave as real Stripe.js does where a web app needs it:
// - the card element's inputs get accessible names (the real element has labels in
//   its iframe);
// - confirmCardPayment(clientSecret, {payment_method: {card: element}}) creates the
//   payment method from the card and confirms the PaymentIntent, asking for 3-D Secure
//   only when the card requires it (the stand-in always showed the dialog and only
//   worked for a PaymentIntent already in requires_action). The confirmation goes to
//   POST /v1/payment_intents/<id>/confirm with the publishable key and the client
//   secret, as real Stripe.js does; bookiji/services.py accepts that in localstripe.
(function () {
  const LABELS = {
    number: 'Card number',
    exp_month: 'Expiry month (MM)',
    exp_year: 'Expiry year (YY)',
    cvc: 'CVC',
    postal_code: 'Postal code',
  };
  const originalStripe = Stripe;
  Stripe = (apiKey) => {
    const stripe = originalStripe(apiKey);
    const elements = stripe.elements;
    stripe.elements = (...args) => {
      const group = elements(...args);
      const create = group.create;
      group.create = function (...createArgs) {
        const element = create.apply(this, createArgs);
        const mount = element.mount;
        element.mount = function (...mountArgs) {
          mount.apply(this, mountArgs);
          Object.entries(this._inputs || {}).forEach(([field, input]) => {
            input.setAttribute('aria-label', LABELS[field] || field);
            input.setAttribute('autocomplete', 'off');
            input.setAttribute('inputmode', 'numeric');
          });
        };
        return element;
      };
      return group;
    };
    const authenticate = stripe.confirmCardPayment;
    stripe.confirmCardPayment = async (clientSecret, data) => {
      const card = data && data.payment_method && data.payment_method.card;
      if (!card || !card.value) {
        return authenticate(clientSecret, data);
      }
      const pi = clientSecret.match(/^(pi_\w+)_secret_/)[1];
      try {
        const response = await fetch(
          `${LOCALSTRIPE_BASE_API}/v1/payment_intents/${pi}/confirm`, {
            method: 'POST',
            body: JSON.stringify({
              key: apiKey,
              client_secret: clientSecret,
              payment_method_data: {
                type: 'card',
                card: card.value.card,
                billing_details: {address: {postal_code: card.value.postal_code}},
              },
            }),
          });
        const body = await response.json().catch(() => ({}));
        if (response.status !== 200 || body.error) {
          return {error: body.error || {message: 'The card was refused.'}};
        }
        if (body.status === 'requires_action') {
          return authenticate(clientSecret, data);
        }
        if (body.status === 'requires_payment_method') {
          return {error: body.last_payment_error ||
                  {code: 'card_declined', message: 'Your card was declined.'}};
        }
        return {paymentIntent: body};
      } catch (err) {
        return {error: {message: String(err)}};
      }
    };
    return stripe;
  };
})();
