/**
 * The "Live" tab: every online camera's preview at once, at a low frame rate
 * (each tile is one more viewer on the station's single upstream per camera);
 * a tile opens that camera's full preview.
 */
import { useEffect, useRef, useState } from 'react';
import type { AgentView } from '@contract';
import { useAgents } from '../api/hooks';
import { hrefFor } from '../shell/routes';
import { FramePainter } from './painter';
import { openPreviewStream, type StreamStatus } from './stream';
import './preview.css';

export const WALL_FPS = 2;

function WallTile({ agent }: { agent: AgentView }) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [status, setStatus] = useState<StreamStatus>({ state: 'connecting' });
  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    let ack: (seq: number) => void = () => undefined;
    const painter = new FramePainter(
      canvas,
      () => undefined,
      (seq) => ack(seq),
    );
    const stream = openPreviewStream(agent.id, WALL_FPS, { onFrame: (f) => painter.push(f), onStatus: setStatus });
    ack = (seq) => stream.ack(seq);
    return () => {
      stream.close();
      painter.dispose();
    };
  }, [agent.id]);
  return (
    <a className="wall-tile" href={hrefFor('preview', agent.id)} data-testid={`wall-tile-${agent.id}`}>
      <canvas ref={canvasRef} data-testid="wall-frame" aria-label={`Live picture from ${agent.name}`} />
      <span className="wall-name">
        {agent.name}
        {status.state !== 'live' && <em> — {status.message ?? status.state}</em>}
      </span>
    </a>
  );
}

export function CameraWall() {
  const agents = useAgents();
  const online = (agents.data ?? []).filter((a) => a.state === 'online');
  return (
    <section aria-labelledby="wall-heading" data-testid="camera-wall">
      <h2 id="wall-heading">Live</h2>
      {agents.isSuccess && online.length === 0 && (
        <p className="empty">No camera is online. Cameras appear here as soon as the station reaches them.</p>
      )}
      <div className="wall-grid">
        {online.map((a) => (
          <WallTile key={a.id} agent={a} />
        ))}
      </div>
    </section>
  );
}
