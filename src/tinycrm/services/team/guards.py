"""What the PostgreSQL server enforces for a team, beyond "viewers read, members write": set up by
:func:`tinycrm.services.team.roles.ensure_grants` (the owner's first ``crm team add-member``, and each one
after), in the same transaction as the group roles' grants.

* **The audit log is append-only** for everyone but the owner of the tables: no group role may ``UPDATE``,
  ``DELETE`` or ``TRUNCATE`` it, and a trigger writes the *database login* into every entry a team login adds,
  whatever name the client sent (a client can set ``TINYCRM_USER``; it cannot choose its login).
* **Roles are the server's business**: members may insert users (label rows, role ``member``) and change a
  full name or email address, but not a role, an active flag or a name; tinycrm's own admin check asks the
  server whether the login holds ``tinycrm_admin`` (:mod:`tinycrm.services.team.identity`).
* **Search index rows are replaced, never removed**: a member's edit rewrites a contact's index row inside the
  transaction of the edit (delete, then insert), so a deferred constraint trigger checks at commit that every
  index row a team login deleted either came back or belongs to a contact that is gone. A bare
  ``DELETE FROM contact_search`` is refused. Nobody but the owner may ``UPDATE`` index rows.
* **Secrets stay with their owners**: password hashes (``user_passwords``) and API token hashes
  (``api_tokens``) are no viewer's to read; with row-level security a member reads and writes only their own
  rows (so no member can give another user a password or a token they know), and an admin all of them.
* **A viewer writes only their own reminder bookkeeping**: rows of ``reminders_sent`` under their login, and
  the audit entries of their reminders and exports, so ``crm remind`` can record what it sent.

The owner of the tables and superusers are not checked: they can drop any of this anyway. The functions pin
their ``search_path`` and name every table with its schema, so a temporary table cannot stand in for one.
"""

from __future__ import annotations

from tinycrm.services.team.identity import TEAM_ROLE_SQL
from tinycrm.services.team.roles import GROUPS, ddl
from tinycrm.store.database import Tx

#: tables of secrets: no viewer reads them; a member only their own rows (see the module's text)
SECRET_TABLES = ("user_passwords", "api_tokens")
#: the rows of a secrets table that are the login's own
_OWN_ROWS = "user_id = (SELECT u.id FROM {}.users u WHERE u.name = session_user)"

#: what a viewer may write to the audit log: the entries of their own reminders and exports
VIEWER_ENTRIES = (
    "(NEW.record_type = 'reminder' AND NEW.action IN ('remind', 'forget')) "
    "OR (NEW.record_type = 'contact' AND NEW.action = 'export')"
)

_FUNCTIONS = (
    # the group role of the session's login, as identity.team_role() sees it
    f"""CREATE OR REPLACE FUNCTION {{s}}.tinycrm_team_role() RETURNS text LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp AS $fn$ {TEAM_ROLE_SQL} $fn$""",
    f"""CREATE OR REPLACE FUNCTION {{s}}.tinycrm_audit_login() RETURNS trigger LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp AS $fn$
    DECLARE held text := {{s}}.tinycrm_team_role();
    BEGIN
      IF held IS NOT NULL THEN
        NEW.user_name := session_user;
        IF held = 'viewer' AND NOT ({VIEWER_ENTRIES}) THEN
          RAISE EXCEPTION 'permission denied for table audit_log' USING ERRCODE = 'insufficient_privilege',
            DETAIL = 'a viewer records only their own reminders and exports';
        END IF;
      END IF;
      RETURN NEW;
    END $fn$""",
    """CREATE OR REPLACE FUNCTION {s}.tinycrm_reminders_own() RETURNS trigger LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp AS $fn$
    BEGIN
      IF {s}.tinycrm_team_role() = 'viewer'
         AND ((TG_OP <> 'INSERT' AND OLD.user_name IS DISTINCT FROM session_user::text)
              OR (TG_OP <> 'DELETE' AND NEW.user_name IS DISTINCT FROM session_user::text)) THEN
        RAISE EXCEPTION 'permission denied for table reminders_sent' USING ERRCODE = 'insufficient_privilege',
          DETAIL = 'a viewer keeps only their own reminders';
      END IF;
      IF TG_OP = 'DELETE' THEN
        RETURN OLD;
      END IF;
      RETURN NEW;
    END $fn$""",
    """CREATE OR REPLACE FUNCTION {s}.tinycrm_search_kept() RETURNS trigger LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp AS $fn$
    BEGIN
      IF EXISTS (SELECT 1 FROM {s}.contacts WHERE id = OLD.contact_id)
         AND NOT EXISTS (SELECT 1 FROM {s}.contact_search WHERE contact_id = OLD.contact_id) THEN
        RAISE EXCEPTION 'permission denied for table contact_search' USING ERRCODE = 'insufficient_privilege',
          DETAIL = format('the search index row of contact %s was deleted, not replaced', OLD.contact_id);
      END IF;
      RETURN NULL;
    END $fn$""",
)

_TRIGGERS = (
    (
        "tinycrm_audit_login",
        "audit_log",
        "CREATE TRIGGER tinycrm_audit_login BEFORE INSERT ON {s}.audit_log FOR EACH ROW "
        "EXECUTE FUNCTION {s}.tinycrm_audit_login()",
    ),
    (
        "tinycrm_reminders_own",
        "reminders_sent",
        "CREATE TRIGGER tinycrm_reminders_own BEFORE INSERT OR UPDATE OR DELETE ON {s}.reminders_sent "
        "FOR EACH ROW EXECUTE FUNCTION {s}.tinycrm_reminders_own()",
    ),
    (
        "tinycrm_search_kept",
        "contact_search",
        # checked at commit: the index rows of an edited contact are deleted, then written again
        "CREATE CONSTRAINT TRIGGER tinycrm_search_kept AFTER DELETE ON {s}.contact_search "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN ({s}.tinycrm_team_role() IS NOT NULL) "
        "EXECUTE FUNCTION {s}.tinycrm_search_kept()",
    ),
)


def protect(tx: Tx, schema: str) -> None:
    """Narrow the group roles' grants and install the triggers (see the module); run by the owner of the
    tables or a superuser, after the broad grants. Safe to run again."""
    from psycopg import sql

    admin, member, viewer = GROUPS["admin"], GROUPS["member"], GROUPS["viewer"]
    # append-only audit log; nothing else a group role could empty or hook into
    ddl(tx, "REVOKE UPDATE, DELETE ON TABLE {}.{} FROM {}", schema, "audit_log", member)
    ddl(tx, "REVOKE UPDATE, DELETE ON TABLE {}.{} FROM {} CASCADE", schema, "audit_log", admin)
    ddl(
        tx,
        "REVOKE TRUNCATE, TRIGGER, REFERENCES ON ALL TABLES IN SCHEMA {} FROM {}, {}, {} CASCADE",
        schema,
        admin,
        member,
        viewer,
    )
    # roles, active flags and names are changed by admins only
    ddl(tx, "REVOKE INSERT, UPDATE, DELETE ON TABLE {}.{} FROM {}", schema, "users", member)
    ddl(
        tx,
        "GRANT INSERT (name, full_name, email, created_at), UPDATE (full_name, email) ON TABLE {}.{} TO {}",
        schema,
        "users",
        member,
    )
    # index rows are deleted and written again, never updated
    ddl(tx, "REVOKE UPDATE ON TABLE {}.{} FROM {}", schema, "contact_search", member)
    ddl(tx, "REVOKE UPDATE ON TABLE {}.{} FROM {} CASCADE", schema, "contact_search", admin)
    # a viewer's own reminder bookkeeping (the triggers hold them to their own rows and entries)
    ddl(tx, "GRANT INSERT, UPDATE, DELETE ON TABLE {}.{} TO {}", schema, "reminders_sent", viewer)
    ddl(tx, "GRANT INSERT ON TABLE {}.{} TO {}", schema, "audit_log", viewer)
    sequence = tx.scalar("SELECT pg_get_serial_sequence(format('%I.audit_log', current_schema()), 'id')")
    if sequence:
        ddl(tx, "GRANT USAGE ON SEQUENCE {} TO {}", sql.SQL(sequence), viewer)
    _guard_secrets(tx, schema)
    for statement in _FUNCTIONS:
        ddl(tx, statement.replace("{s}", "{0}"), schema)
    for name, table, statement in _TRIGGERS:
        ddl(tx, "DROP TRIGGER IF EXISTS {} ON {}.{}", name, schema, table)
        ddl(tx, statement.replace("{s}", "{0}"), schema)


def _guard_secrets(tx: Tx, schema: str) -> None:
    """Viewers lose every right on the secrets tables; row-level security keeps a member to their own rows and
    lets an admin reach all (the owner of the tables is not held by it)."""
    admin, member, viewer = GROUPS["admin"], GROUPS["member"], GROUPS["viewer"]
    for table in SECRET_TABLES:
        ddl(tx, "REVOKE ALL ON TABLE {}.{} FROM {}", schema, table, viewer)
        ddl(tx, "ALTER TABLE {}.{} ENABLE ROW LEVEL SECURITY", schema, table)
        for policy in ("tinycrm_own", "tinycrm_admin"):
            ddl(tx, "DROP POLICY IF EXISTS {} ON {}.{}", policy, schema, table)
        own = _OWN_ROWS.replace("{}", "{2}")
        ddl(
            tx,
            f"CREATE POLICY tinycrm_own ON {{0}}.{{1}} TO {{3}} USING ({own}) WITH CHECK ({own})",
            schema,
            table,
            schema,
            member,
        )
        ddl(
            tx,
            "CREATE POLICY tinycrm_admin ON {}.{} TO {} USING (true) WITH CHECK (true)",
            schema,
            table,
            admin,
        )
