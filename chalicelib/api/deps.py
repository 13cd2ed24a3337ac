"""Services wired to their DynamoDB repositories, built once per Lambda container."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from chalicelib.config import get_settings
from chalicelib.services.catalogs import CatalogService
from chalicelib.services.clients import ClientService
from chalicelib.services.exports import ExportService
from chalicelib.services.groups import GroupService
from chalicelib.services.job_runs import JobRuns
from chalicelib.services.relations import RelationsService
from chalicelib.services.reminders import ReminderService
from chalicelib.services.tenants import TenantService
from chalicelib.services.work_orders import WorkOrderService


@lru_cache(maxsize=1)
def client_service() -> ClientService:
    from chalicelib.adapters.clients_repo import DynamoClientRepository

    return ClientService(DynamoClientRepository())


@lru_cache(maxsize=1)
def tenant_service() -> TenantService:
    from chalicelib.adapters.tenants_repo import DynamoTenantRepository

    return TenantService(
        DynamoTenantRepository(),
        on_user_change=lambda tenant, user: reminder_service().sync_user(tenant, user),
    )


@lru_cache(maxsize=1)
def relations_service() -> RelationsService:
    from chalicelib.adapters.relations_repo import DynamoRelationsRepository

    settings = get_settings()
    return RelationsService(
        DynamoRelationsRepository(),
        settings.default_timezone,
        default_language=settings.default_language,
    )


if TYPE_CHECKING:  # the import's code loads with its routes' first call only
    from chalicelib.services.imports import ImportService


@lru_cache(maxsize=1)
def import_service() -> ImportService:
    from chalicelib.adapters.imports_repo import DynamoImportRepository, S3ImportFiles
    from chalicelib.adapters.tenants_repo import DynamoTenantRepository
    from chalicelib.services.imports import ImportService

    return ImportService(
        DynamoImportRepository(),
        S3ImportFiles(),
        client_service(),
        DynamoTenantRepository(),
    )


@lru_cache(maxsize=1)
def group_service() -> GroupService:
    from chalicelib.adapters.clients_repo import DynamoClientRepository
    from chalicelib.adapters.groups_repo import DynamoGroupRepository

    return GroupService(DynamoGroupRepository(), DynamoClientRepository())


@lru_cache(maxsize=1)
def catalog_service() -> CatalogService:
    from chalicelib.adapters.tenants_repo import DynamoTenantRepository

    return CatalogService(DynamoTenantRepository())


@lru_cache(maxsize=1)
def work_order_service() -> WorkOrderService:
    from chalicelib.adapters.work_orders_repo import DynamoWorkOrderRepository

    def remind(tenant: str, before: Any, after: Any) -> None:
        """Each order's day-before reminder to its technician follows the order."""
        reminder_service().sync_work_order(tenant, before, after)

    return WorkOrderService(DynamoWorkOrderRepository(), client_service(), on_change=remind)


@lru_cache(maxsize=1)
def job_runs() -> JobRuns:
    from chalicelib.adapters.reminders_repo import DynamoReminderRepository

    return JobRuns(DynamoReminderRepository())


@lru_cache(maxsize=1)
def reminder_service() -> ReminderService:
    """Reminder emails; the digest lists the day's work orders of each technician."""
    from chalicelib.adapters.email import SesOutbox
    from chalicelib.adapters.reminders_repo import DynamoReminderRepository

    settings = get_settings()
    return ReminderService(
        DynamoReminderRepository(),
        SesOutbox(settings.mail_from, settings.aws_region),
        settings.frontend_url,
        settings.default_timezone,
        settings.default_language,
        runs=job_runs(),
        feed=work_order_service(),
    )


def reset() -> None:
    client_service.cache_clear()
    tenant_service.cache_clear()
    relations_service.cache_clear()
    import_service.cache_clear()
    group_service.cache_clear()
    catalog_service.cache_clear()
    work_order_service.cache_clear()
    job_runs.cache_clear()
    reminder_service.cache_clear()
    export_service.cache_clear()


@lru_cache(maxsize=1)
def export_service() -> ExportService:
    from chalicelib.adapters.export_files import S3ExportFiles
    from chalicelib.adapters.exports_repo import DynamoExportRepository
    from chalicelib.adapters.tenants_repo import DynamoTenantRepository

    settings = get_settings()
    files = S3ExportFiles(
        settings.export_bucket, settings.export_queue_url, EXPORT_QUEUE, settings.aws_region
    )
    return ExportService(
        DynamoExportRepository(), files, DynamoTenantRepository(), client_service()
    )


EXPORT_QUEUE = "crm-exports"
