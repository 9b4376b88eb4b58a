// The application menu: File (export/import trace), View (one entry per app view, with the same
// shortcuts as the page), Help (About). Built from a pure template function so tests can check it;
// menu clicks only send a MenuCommand to our window (the page does the work over the sender-checked
// channels) or show the About box.
import type { MenuItemConstructorOptions } from 'electron';
import type { MenuCommand } from '../protocol/bridge.js';

/** The page's views, in navigation order (keys 1…8; keep in sync with renderer/App.tsx VIEWS). */
export const MENU_VIEWS: readonly { id: string; label: string }[] = [
  { id: 'devices', label: 'Devices' },
  { id: 'properties', label: 'Properties' },
  { id: 'timeline', label: 'Timeline' },
  { id: 'scenarios', label: 'Scenarios' },
  { id: 'counters', label: 'Counters' },
  { id: 'diagnostics', label: 'Diagnostics' },
  { id: 'traces', label: 'Traces' },
  { id: 'record', label: 'Record' },
];

export interface MenuActions {
  send(command: MenuCommand): void;
  about(): void;
  isMac?: boolean;
}

export function menuTemplate(actions: MenuActions): MenuItemConstructorOptions[] {
  const file: MenuItemConstructorOptions = {
    label: '&File',
    submenu: [
      {
        id: 'export-trace',
        label: 'Export Trace…',
        accelerator: 'CmdOrCtrl+E',
        click: () => actions.send({ type: 'export-trace' }),
      },
      {
        id: 'import-trace',
        label: 'Import Trace…',
        accelerator: 'CmdOrCtrl+O',
        click: () => actions.send({ type: 'import-trace' }),
      },
      { type: 'separator' },
      {
        id: 'connect-server',
        label: 'Connect to Server…',
        accelerator: 'CmdOrCtrl+K',
        click: () => actions.send({ type: 'connect-server' }),
      },
      { type: 'separator' },
      actions.isMac ? { role: 'close' } : { role: 'quit' },
    ],
  };
  const view: MenuItemConstructorOptions = {
    label: '&View',
    submenu: [
      ...MENU_VIEWS.map((v, i): MenuItemConstructorOptions => ({
        id: `view-${v.id}`,
        label: v.label,
        accelerator: `Alt+${i + 1}`,
        click: () => actions.send({ type: 'view', view: v.id }),
      })),
      { type: 'separator' },
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' },
    ],
  };
  const help: MenuItemConstructorOptions = {
    role: 'help',
    submenu: [{ id: 'about', label: 'About xpuscope', click: () => actions.about() }],
  };
  const template: MenuItemConstructorOptions[] = [file, { role: 'editMenu' }, view, help];
  if (actions.isMac) template.unshift({ role: 'appMenu' });
  return template;
}

/** The About box text. */
export function aboutDetail(
  version: string,
  versions: { electron?: string; chrome?: string; node?: string },
): string {
  return [
    `Version ${version}`,
    `Electron ${versions.electron ?? '?'} · Chromium ${versions.chrome ?? '?'} · Node ${versions.node ?? '?'}`,
    '',
    'Desktop GPU inspector and stream profiler for Intel GPUs (Level Zero).',
    'License: MIT. Copyright (c) the xpuscope authors.',
    'Simulated devices are always marked as such.',
  ].join('\n');
}
