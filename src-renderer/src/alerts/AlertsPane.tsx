/** Alerts: cameras offline, full disks, failed captures, plans about to run out. */
import { errorText, formatTime } from '../format';
import { useAlerts } from '../schedules/api';

export function AlertsPane() {
  const alerts = useAlerts();
  if (alerts.isPending) return <p className="muted">Loading alerts…</p>;
  if (alerts.isError) return <p className="error">{errorText(alerts.error)}</p>;
  return (
    <div className="orch-pane" data-testid="alerts-pane">
      <h2>Alerts</h2>
      {alerts.data.length === 0 ? (
        <p className="empty">
          No alerts. Cameras offline, disks above 80 %, failed captures and expiring plans show here.
        </p>
      ) : (
        <table className="orch-table" aria-label="Alerts">
          <thead>
            <tr>
              <th>Time</th>
              <th>Level</th>
              <th>What</th>
              <th>Message</th>
              <th>State</th>
            </tr>
          </thead>
          <tbody>
            {alerts.data.map((a) => (
              <tr key={a.id} data-testid="alert-row" data-code={a.code} className={`alert-${a.level}`}>
                <td>{formatTime(a.time)}</td>
                <td>{a.level}</td>
                <td>{a.code.replace(/_/g, ' ')}</td>
                <td>{a.message}</td>
                <td>{a.resolvedAt ? `resolved ${formatTime(a.resolvedAt)}` : 'open'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
