-- Every refund refunds one payment (transaction_id) and is that payment's
-- n-th refund (refund_number); its request key is derived from (merchant_id,
-- transaction_id, refund_number), so another seat computes the same key.
-- A refund is only ever sent to the Link Money URL and merchant it was
-- confirmed for. payment_cents is the payment's amount as re-read from Link
-- Money when the refund was opened.
ALTER TABLE refunds ADD COLUMN refund_number INTEGER;
ALTER TABLE refunds ADD COLUMN payment_cents INTEGER;
ALTER TABLE refunds ADD COLUMN linkmoney_url TEXT;
ALTER TABLE refunds ADD COLUMN merchant_id TEXT;
-- For a refund Link Money says was made elsewhere (MADE_ELSEWHERE): the
-- amount a person recorded for it (NULL: not known yet, and the payment takes
-- no further refund until it is).
ALTER TABLE refunds ADD COLUMN elsewhere_cents INTEGER;

-- A "key already used" answer proves the key reached Link Money, not that the
-- refund was authorized (a TERMINAL_FAILED refund uses its key too).
UPDATE refunds SET state = 'SENT_UNCONFIRMED' WHERE state = 'CONFIRMED_DUPLICATE';

CREATE INDEX refunds_by_payment ON refunds (transaction_id, merchant_id);
