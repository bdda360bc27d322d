/** The Cameras tab: every camera as a card, pairing and adding by address. */
import { AgentList } from '../components/AgentList';
import { Gallery } from '../components/Gallery';
import { ExportsPane } from '../exports/ExportsPane';

export function FleetView() {
  return (
    <>
      <section aria-labelledby="cameras-heading">
        <h2 id="cameras-heading">Cameras</h2>
        <AgentList />
      </section>
      {/* Newest images and exports stay here until they have tabs of their own (issue #15, gallery and exports). */}
      <section aria-labelledby="gallery-heading">
        <h2 id="gallery-heading">Newest images</h2>
        <Gallery />
      </section>
      <section aria-labelledby="exports-heading">
        <h2 id="exports-heading">Exports</h2>
        <ExportsPane />
      </section>
    </>
  );
}
