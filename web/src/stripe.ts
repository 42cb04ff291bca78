// Stripe.js, loaded once from STRIPE_JS_URL (Stripe's own in production, localstripe's
// stand-in in development). Only calls that real Stripe.js has are used here.
import { config } from "./config";

export interface CardElement {
  mount(el: HTMLElement): void;
  destroy(): void;
}
interface StripeError {
  message?: string;
  code?: string;
}
export interface StripeClient {
  elements(): { create(type: "card", options?: object): CardElement };
  confirmCardPayment(
    clientSecret: string,
    data: { payment_method: { card: CardElement } },
  ): Promise<{ error?: StripeError | null; paymentIntent?: { status: string } }>;
}
declare global {
  interface Window {
    Stripe?: (key: string, options?: object) => StripeClient;
  }
}

let loading: Promise<StripeClient> | null = null;

export function stripe(): Promise<StripeClient> {
  if (loading) return loading;
  loading = new Promise<StripeClient>((resolve, reject) => {
    const { stripe_js_url: url, stripe_publishable_key: key } = config();
    const script = document.createElement("script");
    script.src = url;
    script.async = true;
    script.onload = () => (window.Stripe ? resolve(window.Stripe(key)) : reject(new Error("no Stripe")));
    script.onerror = () => {
      loading = null;
      reject(new Error("Stripe.js did not load"));
    };
    document.head.appendChild(script);
  });
  return loading;
}
