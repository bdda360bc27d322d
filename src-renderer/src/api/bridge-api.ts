/** Plain TypeScript (no DOM): the desktop app's StationApi, and what the API table test drives in Node. */
import { bindStationApi, unwrapReply, type StationApi, type StationBridge } from '@contract';

/**
 * The preload's bridge as a StationApi: every method of the table through its one invoke; an
 * {ok:false} reply is thrown as a StationApiError with the brain's code, message and details.
 */
export function toStationApi(bridge: StationBridge): StationApi {
  return {
    ...bindStationApi(async (method, params) => unwrapReply(await bridge.invoke(method, params))),
    onEvent: (listener) => bridge.onEvent(listener),
    mediaUrl: (path) => bridge.mediaUrl(path),
  };
}
