/** The app: the shell (src-renderer/src/shell) draws the header, the view bar and the current view. */
export { Shell as App } from './shell/Shell';
