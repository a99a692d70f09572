// The officers' words for the API's values: modes, levels (Thông tư 39), approval states,
// severities, roles, device kinds and states, media types. The API's own value is never shown
// to an officer; an unknown value (a newer server) is shown as it came.

import { t } from './i18n.js';

function lookup(table, value) {
  const entry = table[value];
  return entry ? t(entry[0], entry[1]) : String(value ?? '—');
}

const modes = {
  loop: ['Phát lặp', 'Loop'],
  fixed_time: ['Phát theo giờ cố định', 'At fixed times'],
  share_of_voice: ['N lần mỗi giờ', 'N times an hour'],
};
export const modeLabel = (value) => lookup(modes, value);
export const modeValues = Object.keys(modes);

const levels = {
  normal: ['Thông thường', 'Normal'],
  priority: ['Ưu tiên', 'Priority'],
  emergency: ['Khẩn cấp', 'Emergency'],
};
export const levelLabel = (value) => lookup(levels, value);
export const levelValues = Object.keys(levels);

const approvals = {
  draft: ['Nháp', 'Draft'],
  submitted: ['Chờ duyệt', 'Awaiting approval'],
  approved: ['Đã duyệt', 'Approved'],
  rejected: ['Bị từ chối', 'Rejected'],
  archived: ['Lưu trữ', 'Archived'],
};
export const approvalLabel = (value) => lookup(approvals, value);
export const approvalValues = Object.keys(approvals);

const severities = {
  minor: ['Nhẹ', 'Minor'],
  moderate: ['Trung bình', 'Moderate'],
  severe: ['Nghiêm trọng', 'Severe'],
  extreme: ['Cực kỳ nghiêm trọng', 'Extreme'],
  unknown: ['Chưa rõ', 'Unknown'],
};
export const severityLabel = (value) => lookup(severities, value);
export const severityValues = ['minor', 'moderate', 'severe', 'extreme'];

const roles = {
  editor: ['Biên tập viên', 'Editor'],
  approver: ['Người duyệt', 'Approver'],
  operator: ['Người vận hành', 'Operator'],
  admin: ['Quản trị', 'Administrator'],
};
export const roleLabel = (value) => lookup(roles, value);
export const roleValues = Object.keys(roles);

const kinds = {
  screen: ['Màn hình', 'Screen'],
  speaker: ['Loa', 'Loudspeaker'],
};
export const kindLabel = (value) => lookup(kinds, value);

const deliveries = {
  applied: ['Đã áp dụng', 'Applied'],
  pending: ['Chờ gửi', 'Pending'],
  downloading: ['Đang tải', 'Downloading'],
  failed: ['Lỗi', 'Failed'],
  none: ['Chưa có', 'None'],
};
export const deliveryLabel = (value) => lookup(deliveries, value || 'none');

const mediaTypes = {
  video: ['Video', 'Video'],
  audio: ['Âm thanh', 'Audio'],
  image: ['Hình ảnh', 'Image'],
  text: ['Văn bản', 'Text'],
  stream: ['Tiếp sóng', 'Stream'],
};
export const mediaTypeLabel = (value) => lookup(mediaTypes, value);

const weekdays = {
  mon: ['Thứ Hai', 'Monday'],
  tue: ['Thứ Ba', 'Tuesday'],
  wed: ['Thứ Tư', 'Wednesday'],
  thu: ['Thứ Năm', 'Thursday'],
  fri: ['Thứ Sáu', 'Friday'],
  sat: ['Thứ Bảy', 'Saturday'],
  sun: ['Chủ Nhật', 'Sunday'],
};
export const weekdayLabel = (value) => lookup(weekdays, value);
export const weekdayValues = Object.keys(weekdays);

const conflictSeverities = {
  error: ['Lỗi', 'Error'],
  warning: ['Lưu ý', 'Warning'],
};
export const conflictSeverityLabel = (value) => lookup(conflictSeverities, value);

const endings = {
  completed: ['Phát hết', 'Completed'],
  cut: ['Bị cắt', 'Cut short'],
};
export const endingLabel = (value) => (value ? lookup(endings, value) : '—');

const sourceKinds = {
  campaign: ['Chiến dịch', 'Campaign'],
  alert: ['Cảnh báo', 'Alert'],
  live: ['Phát trực tiếp', 'Live broadcast'],
};
export const sourceKindLabel = (value) => lookup(sourceKinds, value);

// Why a timeline entry plays (the resolver's reason): the mode's words when it is one.
export function reasonLabel(value) {
  if (modes[value]) return modeLabel(value);
  const reasons = { alert: ['Cảnh báo', 'Alert'], live: ['Phát trực tiếp', 'Live broadcast'] };
  return lookup(reasons, value);
}

const conflictKinds = {
  fixed_time_collision: ['Trùng giờ phát cố định', 'Fixed times collide'],
  fixed_time_overrun: ['Phát theo giờ cố định bị lấn giờ', 'A fixed-time play runs over'],
  no_target_device: ['Không có thiết bị nào nhận', 'No device receives it'],
  window_in_quiet_hours: ['Khung giờ rơi vào giờ yên tĩnh', 'A window falls in quiet hours'],
  unplayable_media: ['Nội dung không phát được', 'Media cannot be played'],
  empty_for_device: ['Không có gì để phát trên thiết bị', 'Nothing to play on a device'],
  shadowed: ['Bị chiến dịch khác che mất', 'Hidden by another campaign'],
};
export const conflictKindLabel = (value) => lookup(conflictKinds, value);

// The controller names an alert's own media "alert <alert id>" and its playlist "Alert <alert id>"
// (controller/src/alerts.cpp). They are not for campaigns: pickers leave them out, and lists
// show them as "Cảnh báo <id>".
const alertItemName = /^alert (\S+)$/i;

export function isAlertItem(name) {
  return alertItemName.test(name || '');
}

// A media or playlist name as officers read it.
export function nameText(name) {
  const match = alertItemName.exec(name || '');
  return match ? t('Cảnh báo ', 'Alert ') + match[1] : name;
}
