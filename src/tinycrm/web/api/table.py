"""The route table of the API: every resource, its list filters and the functions that serve it."""

from __future__ import annotations

from tinycrm.web.api import resources as r
from tinycrm.web.api.resources import Param, Resource

OWNER = Param("owner", "string", "only this user's")
CONTACT = Param("contact", "integer", "only those of this contact")
COMPANY = Param("company", "integer", "only those of this company")


def table() -> list[Resource]:
    """Every resource of the API, in the order the document lists them."""
    return [*_people(), *_sales_and_work(), *_leads_and_tickets()]


def _people() -> list[Resource]:
    from tinycrm.domain.people import (
        CompanyInput,
        CompanyRead,
        CompanySummary,
        ContactInput,
        ContactRead,
        InteractionRead,
    )
    from tinycrm.domain.rows import ContactSummary

    return [
        Resource(
            "contacts",
            ContactRead,
            ContactSummary,
            r.list_contacts,
            (
                Param("q", "string", "a search, in the query language of crm search"),
                Param("tag", "string", "only those with this tag"),
                Param("company", "string", "only the people of this company (id, domain or name)"),
                Param("archived", "boolean", "true: only archived ones; default: only active ones"),
            ),
            r.get_contact,
            r.create_contact,
            ContactInput,
            r.update_contact,
            True,
            r.delete_contact,
            "People.",
        ),
        Resource(
            "companies",
            CompanyRead,
            CompanySummary,
            r.list_companies,
            (Param("tag", "string", "only those with this tag"),),
            r.get_company,
            r.create_company,
            CompanyInput,
            r.update_company,
            True,
            r.delete_company,
            "Companies.",
        ),
        Resource(
            "interactions",
            InteractionRead,
            InteractionRead,
            r.list_interactions,
            (CONTACT, COMPANY, Param("kind", "string", "only this kind (call, email, meeting, note...)")),
            r.get_interaction,
            r.create_interaction,
            None,
            r.update_interaction,
            True,
            r.delete_interaction,
            "Calls, mails, meetings and notes; listed per contact or company.",
        ),
    ]


def _sales_and_work() -> list[Resource]:
    from tinycrm.domain.rows import TagCount
    from tinycrm.domain.sales import DealInput, DealRead, DealSummary, PipelineRead
    from tinycrm.domain.tasks import TaskInput, TaskRead

    return [
        Resource(
            "deals",
            DealRead,
            DealSummary,
            r.list_deals,
            (
                Param("status", "string", "open (default), won, lost or all"),
                Param("pipeline", "string", "pipeline id or name"),
                Param("stage", "string", "stage id or name"),
                OWNER,
                CONTACT,
                COMPANY,
            ),
            r.get_deal,
            r.create_deal,
            DealInput,
            r.update_deal,
            True,
            r.delete_deal,
            "Deals in pipelines.",
        ),
        Resource(
            "pipelines",
            PipelineRead,
            PipelineRead,
            r.list_pipelines,
            (),
            r.get_pipeline,
            r.create_pipeline,
            None,
            r.update_pipeline,
            False,
            r.delete_pipeline,
            "Pipelines and their stages.",
        ),
        Resource(
            "tasks",
            TaskRead,
            TaskRead,
            r.list_tasks,
            (
                Param("status", "string", "open (default), done or all"),
                CONTACT,
                COMPANY,
                Param("deal", "integer", "only those of this deal"),
                OWNER,
                Param("overdue", "boolean", "only open tasks past due"),
            ),
            r.get_task,
            r.create_task,
            TaskInput,
            r.update_task,
            True,
            r.delete_task,
            "Tasks and follow-ups.",
        ),
        Resource(
            "tags",
            TagCount,
            TagCount,
            r.list_tags,
            (),
            help="Tags, with how many contacts and companies carry each.",
        ),
    ]


def _leads_and_tickets() -> list[Resource]:
    from tinycrm.domain.leads import LeadInput, LeadRead
    from tinycrm.domain.support import TicketRead, TicketRow
    from tinycrm.web.api import leads_tickets as lt
    from tinycrm.web.api.resources import Action

    return [
        Resource(
            "leads",
            LeadRead,
            LeadRead,
            lt.list_leads,
            (
                Param("status", "string", "open (default: new, contacted, qualified), a status, or all"),
                Param("source", "string", "only those from this source (web, referral, event, import...)"),
                OWNER,
                Param("sort", "string", "score (default, highest first) or created (newest first)"),
            ),
            lt.get_lead,
            lt.create_lead,
            LeadInput,
            lt.update_lead,
            True,
            lt.delete_lead,
            'Leads. Change the status with "status" alone; "converted" converts the lead.',
        ),
        Resource(
            "tickets",
            TicketRead,
            TicketRow,
            lt.list_tickets,
            (
                Param(
                    "status",
                    "string",
                    "new, open, pending, resolved, closed, comma-separated (default: new,open,pending)",
                ),
                OWNER,
                Param("breaching", "boolean", "only open work past or within an hour of its SLA"),
                Param("unassigned", "boolean", "only the tickets nobody is assigned to"),
                CONTACT,
            ),
            lt.get_ticket,
            lt.create_ticket,
            None,
            lt.update_ticket,
            True,
            None,
            "Support tickets (status, priority and assignee change here; tickets are closed, not deleted).",
            (
                Action(
                    "replies",
                    lt.reply_ticket,
                    lt.REPLY_FIELDS,
                    help="Answer the customer by mail, as crm ticket reply; gives the ticket after it.",
                ),
            ),
        ),
    ]
