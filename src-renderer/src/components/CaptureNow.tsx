/**
 * "Capture now" for one camera and its failure, the same on the fleet's camera
 * cards and on a camera's page.
 */
import type { AgentView } from '@contract';
import type { useCaptureNow } from '../api/hooks';
import { errorText } from '../format';

type CaptureMutation = ReturnType<typeof useCaptureNow>;

export function CaptureNowButton({
  agent,
  capture,
  disabled,
  title,
  describedBy,
}: {
  agent: AgentView;
  capture: CaptureMutation;
  disabled: boolean;
  title?: string | undefined;
  /** The id of the sentence that says why the camera cannot capture now. */
  describedBy?: string | undefined;
}) {
  return (
    <button
      type="button"
      className="primary"
      data-testid="capture-now"
      aria-label={`Capture now with ${agent.name}`}
      disabled={disabled}
      aria-busy={capture.isPending}
      aria-describedby={describedBy}
      title={title}
      onClick={() => {
        capture.reset();
        capture.mutate();
      }}
    >
      {capture.isPending ? 'Capturing…' : 'Capture now'}
    </button>
  );
}

export function CaptureFailed({ capture }: { capture: CaptureMutation }) {
  if (!capture.isError) return null;
  return (
    <p className="error" role="alert" data-testid="capture-error">
      Capture failed: {errorText(capture.error)}
    </p>
  );
}
