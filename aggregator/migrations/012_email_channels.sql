-- Email channels (docs/alerts.md): a channel's own settings (for email:
-- from, to, STARTTLS, credentials) beside its URL (smtp:// or smtps://).
ALTER TABLE notification_channels ADD COLUMN config jsonb NOT NULL DEFAULT '{}';
ALTER TABLE notification_channels DROP CONSTRAINT notification_channels_type_check;
ALTER TABLE notification_channels ADD CONSTRAINT notification_channels_type_check
    CHECK (type IN ('webhook', 'slack', 'dingtalk', 'wechat', 'alertmanager', 'email'));

DROP FUNCTION lens_notify_claim(integer, interval);
CREATE FUNCTION lens_notify_claim(p_limit integer, p_lease interval) RETURNS TABLE (id bigint,
    attempts integer, type text, url text, config jsonb, payload jsonb)
LANGUAGE sql SET jit = off AS $$
    UPDATE alert_notifications n SET next_attempt_at = now() + p_lease
      FROM notification_channels c
     WHERE c.id = n.channel_id AND n.id IN (
           SELECT x.id FROM alert_notifications x WHERE x.status = 'pending'
              AND x.next_attempt_at <= now() ORDER BY x.next_attempt_at LIMIT p_limit
              FOR UPDATE SKIP LOCKED)
    RETURNING n.id, n.attempts, c.type, c.url, c.config, n.payload
$$;
