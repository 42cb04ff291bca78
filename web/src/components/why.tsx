// Why an offer ranks where it does, in words: each term of the quote's score
// (api.quote's explanation) with the facts behind it and the points it adds,
// the biggest first. See docs/ranking.md.
import type { JSX } from "preact";
import { distance, number, t } from "../i18n";

type Term = {
  feature: number;
  weight: number;
  contribution: number;
  distance_m?: number;
  rating_avg?: number | null;
  rating_count?: number;
  cancellation_rate?: number;
  price_cents?: number;
  cheapest_cents?: number;
  completed?: number | null;
  stars?: number | null;
  probability?: number;
};
export type Explanation = { version: number; score: number; terms: Record<string, Term> };

const pct = (x: number): string => `${number(x * 100, 0)} %`;

function words(name: string, term: Term): string | null {
  switch (name) {
    case "distance":
      return t("why.distance", { distance: distance(term.distance_m) });
    case "rating":
      return term.rating_count
        ? t("why.rated", { avg: number(Number(term.rating_avg ?? 0)), count: term.rating_count })
        : t("why.unrated");
    case "reliability":
      return t("why.reliability", { pct: pct(Number(term.cancellation_rate ?? 0)) });
    case "price":
      return Number(term.feature) >= 1
        ? t("why.cheapest")
        : t("why.pricier", { pct: pct(Number(term.price_cents) / Number(term.cheapest_cents) - 1) });
    case "personal":
      if (term.stars) return t("why.yourStars", { stars: term.stars });
      if (term.completed) return term.completed === 1 ? t("why.yourVisit") : t("why.yourVisits", { count: term.completed });
      return null;
    case "quality": {
      // the model's risk at the quoted start (36_ranking.sql), worded like the database's
      // own explanation text but with the locale's numbers; a penalty: never positive
      const p = Number(term.probability ?? 0);
      return t(p <= 0.05 ? "why.reliable" : "why.risk", { pct: `${number(p * 100, 1)} %` });
    }
    default:
      return null;
  }
}

function points(contribution: number): string {
  const p = Math.round(contribution * 100);
  return p < 0 ? t("why.penalty", { points: number(-p, 0) }) : t("why.points", { points: number(p, 0) });
}

export function OfferWhy({ explanation, score }: { explanation: unknown; score: number }): JSX.Element {
  const e = explanation as Explanation | null;
  const terms = Object.entries(e?.terms ?? {})
    .map(([name, term]) => ({ name, term, text: words(name, term) }))
    .filter((x) => x.text !== null && Number(x.term.weight) > 0)
    .sort((a, b) => Number(b.term.contribution) - Number(a.term.contribution));
  return (
    <div class="why">
      <p>{t("offer.why", { score: number(score, 2) })}</p>
      {terms.length > 0 && (
        <ul>
          {terms.map((x) => (
            <li key={x.name}>
              {x.text} ({points(Number(x.term.contribution))})
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
