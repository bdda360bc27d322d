/** The Cameras tab: every camera as a card, pairing and adding by address. */
import { AgentList } from '../components/AgentList';
import { Gallery } from '../components/Gallery';
import { hrefFor } from '../shell/routes';
import { AddCameraForm } from './AddCameraForm';
import './cameras.css';

export function FleetView() {
  return (
    <>
      <section aria-labelledby="cameras-heading">
        <h2 id="cameras-heading">Cameras</h2>
        <AgentList />
        <details className="add-camera-box">
          <summary>Add a camera by its address</summary>
          <p className="muted small">
            For a camera this station cannot find on the network (another subnet, or multicast blocked). The camera
            shows its 6-digit pairing code in its log, or run <code>skystation-agent pair</code> on it.
          </p>
          <AddCameraForm />
        </details>
      </section>
      <section aria-labelledby="gallery-heading">
        <h2 id="gallery-heading">Newest images</h2>
        <Gallery />
        <p className="small">
          <a href={hrefFor('exports')}>Make a timelapse in Exports</a>
        </p>
      </section>
    </>
  );
}
