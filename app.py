"""The Chalice app: registers the blueprints and event handlers, nothing else."""

from chalice.app import Chalice

from chalicelib.api.activities import activities_bp
from chalicelib.api.auth import auth_bp
from chalicelib.api.catalogs import catalogs_bp
from chalicelib.api.clients import clients_bp
from chalicelib.api.exports import exports_bp
from chalicelib.api.groups import groups_bp
from chalicelib.api.health import health_bp
from chalicelib.api.imports import XLSX, imports_bp
from chalicelib.api.openapi import openapi_bp
from chalicelib.api.reminders import reminders_bp
from chalicelib.api.tags import tags_bp
from chalicelib.api.tasks import tasks_bp
from chalicelib.api.tenants import tenants_bp
from chalicelib.api.work_orders import work_orders_bp

app = Chalice(app_name="crm")
app.register_blueprint(auth_bp)
app.register_blueprint(health_bp)
app.register_blueprint(clients_bp)
app.register_blueprint(tenants_bp)
app.register_blueprint(activities_bp)
app.register_blueprint(tasks_bp)
app.register_blueprint(tags_bp)
app.register_blueprint(groups_bp)
app.register_blueprint(openapi_bp)
app.register_blueprint(exports_bp)
app.register_blueprint(work_orders_bp)
app.register_blueprint(catalogs_bp)
app.register_blueprint(reminders_bp)
app.register_blueprint(imports_bp)
app.api.binary_types.append(XLSX)
