"""One APIRouter per scenario group."""
