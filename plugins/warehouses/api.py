"""Warehouses REST routes, under ``/merchants/<merchant_id>/warehouses`` for the store's owner
and managers (404 for anyone else and where the plugin is off)."""

from __future__ import annotations

from flask.views import MethodView

from mallkit.core.plugin_api import (
    NotFound,
    PeeweePage,
    User,
    merchant_order,
    plugin_blueprint,
    require_staff,
)
from mallkit.plugins.warehouses import service
from mallkit.plugins.warehouses.models import Transfer, WarehouseMovement
from mallkit.plugins.warehouses.schemas import (
    WarehouseAllocationArgs,
    WarehouseAllocationOut,
    WarehouseIn,
    WarehouseMovementArgs,
    WarehouseMovementOut,
    WarehouseOut,
    WarehousePatch,
    WarehouseStockIn,
    WarehouseStockOut,
    WarehouseTransferIn,
    WarehouseTransferOut,
)

blp = plugin_blueprint("warehouses", __name__, description="Warehouses (多仓库存)")
BASE = "/merchants/<int:merchant_id>/warehouses"


def staff_of(merchant_id: int) -> User:
    return require_staff(merchant_id, "owner", "manager", not_staff=NotFound("not found"))


@blp.route(BASE)
class Warehouses(MethodView):
    @blp.response(200, WarehouseOut(many=True))
    def get(self, merchant_id):
        """The store's warehouses, highest priority first."""
        staff_of(merchant_id)
        return list(service.warehouses(merchant_id))

    @blp.arguments(WarehouseIn)
    @blp.response(201, WarehouseOut)
    def post(self, data, merchant_id):
        """Add a warehouse (its province and city place it, for distance)."""
        user = staff_of(merchant_id)
        return service.save_warehouse(merchant_id, data, actor_id=user.id)


@blp.route(f"{BASE}/<int:warehouse_id>")
class WarehouseOne(MethodView):
    @blp.response(200, WarehouseOut)
    def get(self, merchant_id, warehouse_id):
        """One warehouse."""
        staff_of(merchant_id)
        return service.warehouse(merchant_id, warehouse_id)

    @blp.arguments(WarehousePatch)
    @blp.response(200, WarehouseOut)
    def patch(self, data, merchant_id, warehouse_id):
        """Change a warehouse (priority, regions, active ...)."""
        user = staff_of(merchant_id)
        return service.save_warehouse(merchant_id, data, warehouse_id, actor_id=user.id)


@blp.route(f"{BASE}/<int:warehouse_id>/stock")
class WarehouseStockList(MethodView):
    @blp.response(200, WarehouseStockOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, merchant_id, warehouse_id):
        """The warehouse's stock per SKU."""
        staff_of(merchant_id)
        service.warehouse(merchant_id, warehouse_id)
        return service.stock_rows(merchant_id, warehouse_id=warehouse_id)


@blp.route(f"{BASE}/<int:warehouse_id>/stock/<int:sku_id>")
class WarehouseStockOne(MethodView):
    @blp.arguments(WarehouseStockIn)
    @blp.response(200, WarehouseStockOut)
    def put(self, data, merchant_id, warehouse_id, sku_id):
        """Count a SKU in the warehouse (a stock-take); the SKU's sellable stock becomes the
        sum of its warehouses."""
        user = staff_of(merchant_id)
        return service.set_stock(
            merchant_id, warehouse_id, sku_id, data["quantity"], actor_id=user.id
        )


@blp.route(f"{BASE}/<int:warehouse_id>/movements")
class WarehouseMovements(MethodView):
    @blp.arguments(WarehouseMovementArgs, location="query")
    @blp.response(200, WarehouseMovementOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, args, merchant_id, warehouse_id):
        """The warehouse's ledger, newest first."""
        staff_of(merchant_id)
        service.warehouse(merchant_id, warehouse_id)
        query = WarehouseMovement.select().where(WarehouseMovement.warehouse_id == warehouse_id)
        if args["sku_id"]:
            query = query.where(WarehouseMovement.sku_id == args["sku_id"])
        return query.order_by(WarehouseMovement.id.desc())


@blp.route(f"{BASE}/allocations")
class WarehouseAllocations(MethodView):
    @blp.arguments(WarehouseAllocationArgs, location="query")
    @blp.response(200, WarehouseAllocationOut(many=True))
    def get(self, args, merchant_id):
        """Which warehouses an order's stock came from (and how much went back)."""
        staff_of(merchant_id)
        order = merchant_order(merchant_id, args["order_id"])
        return list(service.allocations_of(merchant_id, "order", order.number))


@blp.route(f"{BASE}/transfers")
class Transfers(MethodView):
    @blp.response(200, WarehouseTransferOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, merchant_id):
        """The store's transfer documents, newest first."""
        staff_of(merchant_id)
        return (
            Transfer.select()
            .where(Transfer.merchant_id == merchant_id)
            .order_by(Transfer.id.desc())
        )

    @blp.arguments(WarehouseTransferIn)
    @blp.response(201, WarehouseTransferOut)
    def post(self, data, merchant_id):
        """Draft a transfer between two of the store's warehouses."""
        user = staff_of(merchant_id)
        return service.create_transfer(merchant_id, data, actor_id=user.id)


@blp.route(f"{BASE}/transfers/<int:transfer_id>")
class TransferOne(MethodView):
    @blp.response(200, WarehouseTransferOut)
    def get(self, merchant_id, transfer_id):
        """One transfer with its history."""
        staff_of(merchant_id)
        return service.transfer(merchant_id, transfer_id)


def _step_view(step: str, doc: str):
    class Step(MethodView):
        @blp.response(200, WarehouseTransferOut)
        def post(self, merchant_id, transfer_id):
            user = staff_of(merchant_id)
            return service.step_transfer(merchant_id, transfer_id, step, actor_id=user.id)

    Step.post.__doc__ = doc
    Step.__name__ = f"Transfer{step.title()}"
    return Step


for _step, _doc in (
    ("approve", "Approve a draft transfer."),
    ("ship", "Ship an approved transfer: its stock leaves the source (transfer_out rows)."),
    ("receive", "Receive a shipped transfer: its stock enters the target (transfer_in rows)."),
    ("cancel", "Cancel a transfer; a shipped one's stock goes back to the source."),
):
    blp.route(f"{BASE}/transfers/<int:transfer_id>/{_step}")(_step_view(_step, _doc))
