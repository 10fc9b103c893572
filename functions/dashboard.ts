/** The operator dashboard at /api/dashboard/ (static files; API calls carry the operator's key). */
import { registerDashboard } from '../src/dashboard/register';

registerDashboard();
