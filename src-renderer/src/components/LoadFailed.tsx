/** "Could not load <what>: <why> [Try again]": what a view shows when its query failed. */
import { errorText } from '../format';

export function LoadFailed({ what, query }: { what: string; query: { error: unknown; refetch: () => unknown } }) {
  return (
    <p className="error" role="alert">
      Could not load {what}: {errorText(query.error)}{' '}
      <button type="button" onClick={() => void query.refetch()}>
        Try again
      </button>
    </p>
  );
}
