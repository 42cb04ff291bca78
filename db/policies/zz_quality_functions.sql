-- The quality model (db/functions/37_quality.sql): who may call what. The
-- feature and probability helpers run inside definers; the worker's training
-- schedule reads the training rows and the active version and records and
-- activates versions; ops list, activate and read a booking's prediction
-- through the api wrappers.
revoke all on function
internal.quality_feature_names(),
internal.quality_features(integer, integer, integer, timestamptz, text, double precision, double precision),
internal.quality_probability(double precision[], double precision[]),
internal.quality_risk(
    double precision[], integer, integer, integer, timestamptz, text, double precision, double precision
),
internal.offer_quality_risk(double precision[], uuid, timestamptz, timestamptz),
internal.quality_prediction(uuid, timestamptz, double precision, timestamptz),
internal.quality_training_rows(timestamptz, timestamptz),
internal.quality_version_json(app.quality_versions),
internal.active_quality_version(),
internal.add_quality_version(text[], double precision[], jsonb, text),
internal.activate_quality_version(integer, text),
internal.quality_versions(),
internal.booking_quality(uuid),
api.ops_quality_versions(),
api.ops_activate_quality_version(integer, text),
api.ops_booking_quality(uuid)
from public, anon, customer, provider, ops, bookiji_worker;

grant execute on function
internal.quality_training_rows(timestamptz, timestamptz),
internal.active_quality_version(),
internal.add_quality_version(text[], double precision[], jsonb, text),
internal.activate_quality_version(integer, text)
to bookiji_worker;
grant execute on function
internal.quality_versions(),
internal.quality_version_json(app.quality_versions),
internal.activate_quality_version(integer, text),
internal.booking_quality(uuid)
to ops;
grant execute on function
api.ops_quality_versions(),
api.ops_activate_quality_version(integer, text),
api.ops_booking_quality(uuid)
to ops;
